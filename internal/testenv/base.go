package testenv

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/cairn-build/cairn/internal/devenv"
)

// BaseRepo returns a repository for a test's own base images, which no
// earlier run used: tests re-push a base under one tag to move it, and
// must never touch the seeded library/ images every test builds FROM.
func BaseRepo(t testing.TB) string {
	t.Helper()
	return fmt.Sprintf("%s/test/base-%d", Get(t).Registry, time.Now().UnixNano())
}

// PushBase pushes to ref (a tag in the test registry) the seeded busybox
// with one more layer, a file /version holding version, and returns it:
// pushing another version under the same tag moves the tag to a new digest.
func PushBase(t testing.TB, ref, version string) v1.Image {
	t.Helper()
	env := Get(t)
	busybox, err := name.ParseReference(env.Registry+"/"+devenv.BusyboxRef, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(busybox)
	if err != nil {
		t.Fatalf("read %s: %v", busybox, err)
	}
	if img, err = mutate.AppendLayers(img, FileLayer(t, map[string]string{"version": version + "\n"})); err != nil {
		t.Fatal(err)
	}
	Push(t, ref, img)
	return img
}

// FileLayer is a layer holding files (path → content), each a regular
// file of mode 0644 dated the Unix epoch, in path order.
func FileLayer(t testing.TB, files map[string]string) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		content := files[name]
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, content); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return layer
}

// Push writes img to ref (a tag or a digest) in a test registry, over
// plain HTTP, and returns its digest.
func Push(t testing.TB, ref string, img v1.Image) string {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}
