package testenv

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
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
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	content := []byte(version + "\n")
	if err := tw.WriteHeader(&tar.Header{Name: "version", Mode: 0o644, Size: int64(len(content)), ModTime: time.Unix(0, 0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		t.Fatal(err)
	}
	if img, err = mutate.AppendLayers(img, layer); err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatalf("push base %s: %v", ref, err)
	}
	return img
}
