package check

import (
	"archive/tar"
	"bytes"
	"io"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// tf is a tar entry for a synthetic layer.
type tf struct {
	name     string
	typ      byte
	mode     int64
	size     int // content of size zero bytes when content is ""
	content  string
	link     string
	uid, gid int
}

func file(name string, size int) tf { return tf{name: name, typ: tar.TypeReg, mode: 0o644, size: size} }

func text(name, content string, mode int64) tf {
	return tf{name: name, typ: tar.TypeReg, mode: mode, content: content}
}

func dir(name string) tf { return tf{name: name, typ: tar.TypeDir, mode: 0o755} }

// whiteout is a marker tar entry (".wh.x" or ".wh..wh..opq").
func whiteout(name string) tf { return tf{name: name, typ: tar.TypeReg, mode: 0o644} }

func tarBytes(t testing.TB, files ...tf) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		data := []byte(f.content)
		if f.content == "" && f.size > 0 {
			data = make([]byte, f.size)
		}
		h := &tar.Header{Name: f.name, Typeflag: f.typ, Mode: f.mode, Linkname: f.link, Uid: f.uid, Gid: f.gid}
		if f.typ == tar.TypeReg {
			h.Size = int64(len(data))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data[:h.Size]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func layerOf(t testing.TB, files ...tf) v1.Layer {
	t.Helper()
	data := tarBytes(t, files...)
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// imageOf stacks layers of entries on an empty image.
func imageOf(t testing.TB, layers ...[]tf) v1.Image {
	t.Helper()
	ls := make([]v1.Layer, len(layers))
	for i, files := range layers {
		ls[i] = layerOf(t, files...)
	}
	img, err := mutate.AppendLayers(empty.Image, ls...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func ptr[T any](v T) *T { return &v }
