package testenv

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Image reads ref's image from the test registry (plain HTTP).
func Image(t testing.TB, ref string) v1.Image {
	t.Helper()
	img, err := Descriptor(t, ref).Image()
	if err != nil {
		t.Fatalf("read image %s: %v", ref, err)
	}
	return img
}

// Index reads ref's image index from the test registry, and its manifest.
func Index(t testing.TB, ref string) (v1.ImageIndex, *v1.IndexManifest) {
	t.Helper()
	idx, err := Descriptor(t, ref).ImageIndex()
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	return idx, im
}

// Descriptor reads ref's manifest (or index) from the test registry.
func Descriptor(t testing.TB, ref string) *remote.Descriptor {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(r)
	if err != nil {
		t.Fatalf("read %s: %v", ref, err)
	}
	return desc
}

// Layers are the layers of ref's image.
func Layers(t testing.TB, ref string) []v1.Layer {
	t.Helper()
	layers, err := Image(t, ref).Layers()
	if err != nil || len(layers) == 0 {
		t.Fatalf("layers of %s: %d, %v", ref, len(layers), err)
	}
	return layers
}

// DeleteBlob deletes a blob of ref's repository through the registry API,
// as a registry's garbage collection or a retention policy may while a
// cache still refers to it.
func DeleteBlob(t testing.TB, ref string, layer v1.Layer) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	d, err := layer.Digest()
	if err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("http://%s/v2/%s/blobs/%s", r.Context().RegistryStr(), r.Context().RepositoryStr(), d)
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodDelete, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("DELETE %s: %s", url, resp.Status)
	}
}

// Files are the regular files of img's flattened filesystem, by absolute
// path ("/app/version").
func Files(t testing.TB, img v1.Image) map[string]string {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	return tarFiles(t, rc)
}

// LayerFiles are the regular files of one layer, whiteouts ("/d/.wh.f")
// included, by absolute path.
func LayerFiles(t testing.TB, layer v1.Layer) map[string]string {
	t.Helper()
	rc, err := layer.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	return tarFiles(t, rc)
}

func tarFiles(t testing.TB, r io.Reader) map[string]string {
	t.Helper()
	files := map[string]string{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files["/"+strings.TrimPrefix(strings.TrimPrefix(h.Name, "./"), "/")] = string(data)
		}
	}
}
