package devenv

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Seeded base images, under the names docker.io resolves them by.
const (
	BusyboxRef = "library/busybox:1.36"
	GolangRef  = "library/golang:1.26"
)

// epoch is every seeded file's mtime: the same inputs give the same digests.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// seed pushes the base images the registry lacks.
func seed(ctx context.Context, registry string, opts Options) error {
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		return errors.New("busybox not found: install Debian's busybox-static (apt-get install busybox-static)")
	}
	images := []struct {
		ref   string
		build func() (v1.Image, func(), error)
	}{
		{BusyboxRef, func() (v1.Image, func(), error) { return busyboxImage(busybox) }},
		{GolangRef, func() (v1.Image, func(), error) { return golangImage(busybox) }},
	}
	for _, im := range images {
		ref, err := name.ParseReference(registry+"/"+im.ref, name.Insecure)
		if err != nil {
			return fmt.Errorf("seed %s: %w", im.ref, err)
		}
		if present, err := exists(ctx, ref); err != nil {
			return fmt.Errorf("seed %s: %w", ref, err)
		} else if present {
			continue
		}
		start := time.Now()
		img, cleanup, err := im.build()
		if err != nil {
			return fmt.Errorf("seed %s: %w", ref, err)
		}
		err = remote.Write(ref, img, remote.WithContext(ctx))
		cleanup()
		if err != nil {
			return fmt.Errorf("seed %s: push: %w", ref, err)
		}
		opts.logf("seeded %s in %s", ref, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

func exists(ctx context.Context, ref name.Reference) (bool, error) {
	_, err := remote.Head(ref, remote.WithContext(ctx))
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return false, nil
	}
	return err == nil, err
}

// busyboxImage is a busybox image FROM scratch: Debian's static binary, a
// symlink per applet, and the few files images are expected to have.
func busyboxImage(busybox string) (v1.Image, func(), error) {
	layer, err := busyboxLayer(busybox)
	if err != nil {
		return nil, nil, err
	}
	img, err := image(empty.Image, []v1.Layer{layer}, v1.Config{
		Env: []string{"PATH=" + defaultPath},
		Cmd: []string{"sh"},
	})
	return img, func() {}, err
}

func busyboxLayer(busybox string) (v1.Layer, error) {
	list, err := exec.Command(busybox, "--list-full").Output()
	if err != nil {
		return nil, fmt.Errorf("busybox --list-full: %w", err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, dir := range []string{"bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "root", "var", "home"} {
		writeHeader(tw, &tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755})
	}
	writeHeader(tw, &tar.Header{Typeflag: tar.TypeDir, Name: "tmp/", Mode: 0o1777})
	if err := addFile(tw, "bin/busybox", busybox, 0o755); err != nil {
		return nil, err
	}
	for _, applet := range strings.Fields(string(list)) {
		if applet != "bin/busybox" {
			writeHeader(tw, &tar.Header{Typeflag: tar.TypeSymlink, Name: applet, Linkname: "/bin/busybox"})
		}
	}
	addBytes(tw, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n")
	addBytes(tw, "etc/group", "root:x:0:\nnobody:x:65534:\n")
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

// golangImage is busybox plus the local Go toolchain at /usr/local/go, with
// cgo off and the module proxy off: builds inside RUN never reach the network.
func golangImage(busybox string) (v1.Image, func(), error) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return nil, nil, fmt.Errorf("find the Go toolchain: go env GOROOT: %w", err)
	}
	goroot := strings.TrimSpace(string(out))
	base, _, err := busyboxImage(busybox)
	if err != nil {
		return nil, nil, err
	}
	tmp, err := os.CreateTemp("", "cairn-golang-*.tar")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { os.Remove(tmp.Name()) }
	err = writeGoroot(tmp, goroot)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("archive %s: %w", goroot, err)
	}
	layer, err := tarball.LayerFromFile(tmp.Name(), tarball.WithMediaType(types.OCILayer),
		tarball.WithCompressionLevel(gzip.BestSpeed))
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	img, err := image(base, []v1.Layer{layer}, v1.Config{
		Env: []string{
			"PATH=/go/bin:/usr/local/go/bin:" + defaultPath,
			"GOPATH=/go", "GOTOOLCHAIN=local", "CGO_ENABLED=0", "GOPROXY=off",
		},
		WorkingDir: "/go",
		Cmd:        []string{"sh"},
	})
	return img, cleanup, err
}

// writeGoroot archives goroot as usr/local/go, less what builds never read.
func writeGoroot(w io.Writer, goroot string) error {
	skip := map[string]bool{"test": true, "api": true, "doc": true, "misc": true}
	tw := tar.NewWriter(w)
	for _, dir := range []string{"go/", "go/bin/", "go/src/", "usr/", "usr/local/"} {
		writeHeader(tw, &tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755})
	}
	err := filepath.WalkDir(goroot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(goroot, path)
		if d.IsDir() && (skip[rel] || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		target := filepath.ToSlash(filepath.Join("usr/local/go", rel))
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			writeHeader(tw, &tar.Header{Typeflag: tar.TypeDir, Name: target + "/", Mode: 0o755})
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			writeHeader(tw, &tar.Header{Typeflag: tar.TypeSymlink, Name: target, Linkname: link})
		case info.Mode().IsRegular():
			return addFile(tw, target, path, int64(info.Mode().Perm()))
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

func image(base v1.Image, layers []v1.Layer, config v1.Config) (v1.Image, error) {
	img, err := mutate.AppendLayers(mutate.MediaType(base, types.OCIManifestSchema1), layers...)
	if err != nil {
		return nil, err
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Created = v1.Time{Time: epoch}
	cf.Config = config
	return mutate.ConfigFile(img, cf)
}

// writeHeader fills the fields every entry shares. Writes go to a buffer or
// a temp file; their errors surface at tw.Close.
func writeHeader(tw *tar.Writer, h *tar.Header) {
	h.ModTime, h.Format = epoch, tar.FormatPAX
	_ = tw.WriteHeader(h)
}

func addBytes(tw *tar.Writer, name, content string) {
	writeHeader(tw, &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(content))})
	_, _ = tw.Write([]byte(content))
}

func addFile(tw *tar.Writer, name, src string, mode int64) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	writeHeader(tw, &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: st.Size()})
	if _, err := io.Copy(tw, f); err != nil {
		return fmt.Errorf("archive %s: %w", src, err)
	}
	return nil
}
