package devenv

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ScannerRef is BuildKit's default SBOM generator image, seeded with
// cairn's protocol-conforming scanner (./sbomscanner): the real one is not
// on the module proxy, and syft is hundreds of modules to build.
const ScannerRef = "docker/buildkit-syft-scanner:stable-1"

// scannerPkg is the scanner's package, built with the local Go toolchain.
const scannerPkg = "github.com/cairn-build/cairn/internal/devenv/sbomscanner"

// scannerImage is the scanner, built static, alone in an image FROM scratch.
func scannerImage() (v1.Image, func(), error) {
	dir, err := os.MkdirTemp("", "cairn-scanner-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	bin := filepath.Join(dir, "sbomscanner")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, scannerPkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("build the SBOM scanner (go build %s, from inside cairn's module): %w: %s", scannerPkg, err, out)
	}
	layer, err := layerOf(func(tw *tar.Writer) error {
		writeHeader(tw, &tar.Header{Typeflag: tar.TypeDir, Name: "bin/", Mode: 0o755})
		return addFile(tw, "bin/sbomscanner", bin, 0o755)
	})
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	img, err := image(empty.Image, []v1.Layer{layer}, v1.Config{Entrypoint: []string{"/bin/sbomscanner"}, WorkingDir: "/"})
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return img, cleanup, nil
}

// layerOf is an OCI layer of the tar that write fills, held in memory.
func layerOf(write func(*tar.Writer) error) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := write(tw); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
}
