package devenv

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
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
	// NodeRef is seeded only where a Node.js of that major version is installed.
	NodeRef = "library/node:20"
)

// nodeMajor is the Node.js version NodeRef names.
const nodeMajor = "v20."

// epoch is every seeded file's mtime: the same inputs give the same digests.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// seedImage is a base image and how to build it; build's func cleans up
// after the push.
type seedImage struct {
	ref   string
	build func() (v1.Image, func(), error)
}

// seed pushes the base images the registry lacks.
func seed(ctx context.Context, registry string, opts Options) error {
	busybox, err := findBusybox()
	if err != nil {
		return err
	}
	images := []seedImage{
		{BusyboxRef, func() (v1.Image, func(), error) { return busyboxImage(busybox) }},
		{GolangRef, func() (v1.Image, func(), error) { return golangImage(busybox) }},
		{ScannerRef, scannerImage},
	}
	// node is optional: only examples/npm-cache needs it.
	if node, err := findNode(); err != nil {
		opts.logf("not seeding %s: %v", NodeRef, err)
	} else {
		images = append(images, seedImage{NodeRef, func() (v1.Image, func(), error) { return nodeImage(busybox, node) }})
	}
	return push(ctx, registry, images, opts)
}

// SeedBusybox pushes only BusyboxRef to a registry that lacks it: enough
// for a docker.io mirror of projects built FROM busybox:1.36.
func SeedBusybox(ctx context.Context, registry string) error {
	busybox, err := findBusybox()
	if err != nil {
		return err
	}
	image := seedImage{BusyboxRef, func() (v1.Image, func(), error) { return busyboxImage(busybox) }}
	return push(ctx, registry, []seedImage{image}, Options{})
}

func findBusybox() (string, error) {
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		return "", errors.New("busybox not found: install Debian's busybox-static (apt-get install busybox-static)")
	}
	return busybox, nil
}

// push pushes each image the registry lacks.
func push(ctx context.Context, registry string, images []seedImage, opts Options) error {
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
	return layerOf(func(tw *tar.Writer) error {
		for _, dir := range []string{"bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "root", "var", "home"} {
			writeHeader(tw, &tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755})
		}
		writeHeader(tw, &tar.Header{Typeflag: tar.TypeDir, Name: "tmp/", Mode: 0o1777})
		if err := addFile(tw, "bin/busybox", busybox, 0o755); err != nil {
			return err
		}
		for _, applet := range strings.Fields(string(list)) {
			if applet != "bin/busybox" {
				writeHeader(tw, &tar.Header{Typeflag: tar.TypeSymlink, Name: applet, Linkname: "/bin/busybox"})
			}
		}
		addBytes(tw, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n")
		addBytes(tw, "etc/group", "root:x:0:\nnobody:x:65534:\n")
		return nil
	})
}

// golangImage is busybox plus the local Go toolchain at /usr/local/go, with
// cgo off and the module proxy off: builds inside RUN never reach the network.
func golangImage(busybox string) (v1.Image, func(), error) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return nil, nil, fmt.Errorf("find the Go toolchain: go env GOROOT: %w", err)
	}
	goroot := strings.TrimSpace(string(out))
	return overBusybox(busybox, func(tw *tar.Writer) error { return writeGoroot(tw, goroot) }, v1.Config{
		Env: []string{
			"PATH=/go/bin:/usr/local/go/bin:" + defaultPath,
			"GOPATH=/go", "GOTOOLCHAIN=local", "CGO_ENABLED=0", "GOPROXY=off",
		},
		WorkingDir: "/go",
		Cmd:        []string{"sh"},
	})
}

// writeGoroot archives goroot as usr/local/go, less what builds never read.
func writeGoroot(tw *tar.Writer, goroot string) error {
	skip := map[string]bool{"test": true, "api": true, "doc": true, "misc": true}
	for _, dir := range []string{"go/", "go/bin/", "go/src/", "usr/", "usr/local/"} {
		writeHeader(tw, &tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755})
	}
	return addTree(tw, goroot, "usr/local/go", func(rel string, d fs.DirEntry) bool {
		return d.IsDir() && (skip[rel] || d.Name() == "testdata")
	})
}

// overBusybox is the busybox image plus one layer that write fills. The
// layer goes through a temp file, as toolchains weigh hundreds of MB; the
// returned func removes it once the image is pushed.
func overBusybox(busybox string, write func(*tar.Writer) error, config v1.Config) (v1.Image, func(), error) {
	base, _, err := busyboxImage(busybox)
	if err != nil {
		return nil, nil, err
	}
	tmp, err := os.CreateTemp("", "cairn-seed-*.tar")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { os.Remove(tmp.Name()) }
	tw := tar.NewWriter(tmp)
	err = write(tw)
	if cerr := tw.Close(); err == nil {
		err = cerr
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	layer, err := tarball.LayerFromFile(tmp.Name(), tarball.WithMediaType(types.OCILayer),
		tarball.WithCompressionLevel(gzip.BestSpeed))
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	img, err := image(base, []v1.Layer{layer}, config)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return img, cleanup, nil
}

// addTree archives the tree at src as target, in lexical order; skip says
// which entries (by their path relative to src) to leave out.
func addTree(tw *tar.Writer, src, target string, skip func(rel string, d fs.DirEntry) bool) error {
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if skip != nil && skip(rel, d) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		name := filepath.ToSlash(filepath.Join(target, rel))
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			writeHeader(tw, &tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: 0o755})
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			writeHeader(tw, &tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: link})
		case info.Mode().IsRegular():
			return addFile(tw, name, path, int64(info.Mode().Perm()))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("archive %s: %w", src, err)
	}
	return nil
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

// nodeInstall is a local Node.js and what it needs at run time.
type nodeInstall struct {
	version string   // "v20.11.1"
	binary  string   // the node executable, symlinks resolved
	libs    []string // its ELF interpreter and shared libraries, at the paths it loads them from
	npm     string   // npm's package directory
}

// findNode locates the local Node.js of NodeRef's major version and npm.
func findNode() (*nodeInstall, error) {
	path, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("node not found (install Node.js 20 to build examples/npm-cache)")
	}
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --version: %w", path, err)
	}
	n := &nodeInstall{version: strings.TrimSpace(string(out))}
	if !strings.HasPrefix(n.version, nodeMajor) {
		return nil, fmt.Errorf("%s is node %s, not %sx", path, n.version, nodeMajor)
	}
	if n.binary, err = filepath.EvalSymlinks(path); err != nil {
		return nil, err
	}
	if n.libs, err = runtimeLibs(n.binary); err != nil {
		return nil, err
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return nil, errors.New("npm not found beside node")
	}
	// npm is a symlink to <npm>/bin/npm-cli.js.
	cli, err := filepath.EvalSymlinks(npm)
	if err != nil {
		return nil, err
	}
	n.npm = filepath.Dir(filepath.Dir(cli))
	if _, err := os.Stat(filepath.Join(n.npm, "package.json")); err != nil {
		return nil, fmt.Errorf("npm's package directory: %w", err)
	}
	return n, nil
}

// runtimeLibs is binary's ELF interpreter and the libraries ldd resolves.
func runtimeLibs(binary string) ([]string, error) {
	f, err := elf.Open(binary)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var libs []string
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			data, err := io.ReadAll(p.Open())
			if err != nil {
				return nil, fmt.Errorf("%s: read its interpreter: %w", binary, err)
			}
			libs = append(libs, strings.TrimRight(string(data), "\x00"))
		}
	}
	if len(libs) == 0 {
		return nil, nil // static: nothing to load
	}
	out, err := exec.Command("ldd", binary).Output()
	if err != nil {
		return nil, fmt.Errorf("ldd %s: %w", binary, err)
	}
	listed, err := parseLdd(string(out))
	if err != nil {
		return nil, fmt.Errorf("ldd %s: %w", binary, err)
	}
	for _, l := range listed {
		if !slices.Contains(libs, l) {
			libs = append(libs, l)
		}
	}
	slices.Sort(libs)
	return libs, nil
}

// parseLdd returns the absolute paths in ldd's output: "name => path (addr)"
// and "path (addr)" lines. Virtual objects (linux-vdso) have no path.
func parseLdd(out string) ([]string, error) {
	var paths []string
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if _, after, ok := strings.Cut(line, "=>"); ok {
			line = strings.TrimSpace(after)
			if strings.HasPrefix(line, "not found") {
				return nil, fmt.Errorf("a library is not found: %s", out)
			}
		}
		if path, _, _ := strings.Cut(line, " "); strings.HasPrefix(path, "/") {
			paths = append(paths, path)
		}
	}
	return paths, nil
}

// nodeImage is busybox plus node and npm where the official image has them
// (/usr/local/bin, /usr/local/lib/node_modules), and the libraries node
// loads at the paths it loads them from.
func nodeImage(busybox string, n *nodeInstall) (v1.Image, func(), error) {
	return overBusybox(busybox, func(tw *tar.Writer) error { return writeNode(tw, n) }, v1.Config{
		Env: []string{
			"PATH=" + defaultPath,
			"NODE_VERSION=" + strings.TrimPrefix(n.version, "v"),
			// npm would ask the registry whether it is the newest npm; builds are offline.
			"NPM_CONFIG_UPDATE_NOTIFIER=false",
		},
		Cmd: []string{"node"},
	})
}

func writeNode(tw *tar.Writer, n *nodeInstall) error {
	files := map[string]string{"usr/local/bin/node": n.binary} // name in the image → source
	for _, lib := range n.libs {
		files[strings.TrimPrefix(lib, "/")] = lib
	}
	dirs := []string{"usr/local/lib/node_modules"}
	for name := range files {
		dirs = append(dirs, filepath.Dir(name))
	}
	for _, dir := range parentDirs(dirs) {
		writeHeader(tw, &tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755})
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		// A library path is often a symlink (libc.so.6 → libc-2.36.so): store
		// the file it points to under the name the loader asks for.
		if err := addFile(tw, name, files[name], 0o755); err != nil {
			return err
		}
	}
	if err := addTree(tw, n.npm, "usr/local/lib/node_modules/npm", nil); err != nil {
		return err
	}
	for _, cmd := range []string{"npm", "npx"} {
		writeHeader(tw, &tar.Header{Typeflag: tar.TypeSymlink, Name: "usr/local/bin/" + cmd,
			Linkname: "../lib/node_modules/npm/bin/" + cmd + "-cli.js"})
	}
	return nil
}

// parentDirs is every dir in dirs with all its parents, sorted, so each comes
// before what it holds.
func parentDirs(dirs []string) []string {
	set := map[string]bool{}
	for _, d := range dirs {
		for ; d != "." && d != "/" && d != ""; d = filepath.Dir(d) {
			set[filepath.ToSlash(d)] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}
