package inputs_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/inputs"
	"github.com/cairn-build/cairn/pkg/planner"
)

const dockerfile = `FROM busybox:1.36 AS build
RUN --mount=type=secret,id=token cat /run/secrets/token > /dev/null
COPY . /src

FROM scratch AS app
COPY --from=build /src /src
COPY --from=alpine:3.20 /etc/os-release /os-release
`

// fixture is a project on disk and what else a publish of it reads.
type fixture struct {
	dir       string
	o         config.Overrides
	config    string // build.yaml's content; "" for none
	images    map[string]string
	epoch     *time.Time
	labels    map[string]string
	rewrite   bool
	signing   string
	version   string
	dfContent string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{
		dir: dir,
		images: map[string]string{
			"busybox:1.36": "sha256:" + strings.Repeat("1", 64),
			"alpine:3.20":  "sha256:" + strings.Repeat("2", 64),
		},
		version:   "v1.0.0",
		dfContent: dockerfile,
		config:    "version: 1\ntargets:\n  app:\n    tags: [v1]\n",
		labels:    map[string]string{"org.opencontainers.image.revision": "abc"},
	}
	secret := filepath.Join(t.TempDir(), "token")
	f.write(t, secret, "s3cret")
	f.o = config.Overrides{
		Context: dir, Dockerfile: filepath.Join(dir, "Dockerfile"), Repository: "reg.example.com/app",
		Args:   map[string]string{"VERSION": "1"},
		Docker: config.DockerFlags{Secrets: []string{"id=token,src=" + secret}},
	}
	f.write(t, "main.go", "package main\n")
	f.write(t, "sub/lib.go", "package sub\n")
	f.write(t, "notes.txt", "ignored\n")
	f.write(t, ".dockerignore", "notes.txt\nbuild/\n")
	f.write(t, "build/out.bin", "output\n")
	return f
}

// write writes a file under the project (or at an absolute path).
func (f *fixture) write(t *testing.T, path, content string) {
	t.Helper()
	dir := f.dir
	if filepath.IsAbs(path) {
		dir = ""
	}
	testenv.WriteFiles(t, dir, map[string]string{path: content})
}

func (f *fixture) project(t *testing.T) inputs.Project {
	t.Helper()
	f.write(t, "Dockerfile", f.dfContent)
	file, configFile := config.Default(), ""
	if f.config != "" {
		configFile = filepath.Join(f.dir, "build.yaml")
		f.write(t, configFile, f.config)
		var err error
		if file, err = config.Load(configFile); err != nil {
			t.Fatal(err)
		}
	}
	cfg, plan := resolve(t, file, f.o, []byte(f.dfContent))
	return inputs.Project{
		Config: cfg, Plan: plan, Dockerfile: []byte(f.dfContent), ConfigFile: configFile, BuildPlatform: "linux/amd64",
		Images: f.images, Epoch: f.epoch, Labels: f.labels, RewriteTimestamp: f.rewrite, Version: f.version, Signing: f.signing,
	}
}

// resolve resolves build.yaml with o, without environment, and plans the
// Dockerfile as a publish would.
func resolve(tb testing.TB, file *config.File, o config.Overrides, df []byte) (*config.Build, *planner.Plan) {
	tb.Helper()
	cfg, err := file.Resolve(o, func(string) (string, bool) { return "", false })
	if err != nil {
		tb.Fatal(err)
	}
	plan, err := planner.New(df, cfg.PlanOptions())
	if err != nil {
		tb.Fatal(err)
	}
	return cfg, plan
}

func (f *fixture) digest(t *testing.T) string {
	t.Helper()
	d, err := inputs.Compute(t.Context(), f.project(t))
	if err != nil {
		t.Fatal(err)
	}
	if d.Target("app") == "" || d.Target("app") == d.Project() {
		t.Fatalf("target digest %q, project %q: want one of its own", d.Target("app"), d.Project())
	}
	return d.Target("app")
}

// TestDigest: what changes a target's input digest, and what does not.
func TestDigest(t *testing.T) {
	tests := []struct {
		name    string
		change  func(t *testing.T, f *fixture)
		changes bool
	}{
		{"nothing", func(*testing.T, *fixture) {}, false},
		{"a file's content", func(t *testing.T, f *fixture) { f.write(t, "sub/lib.go", "package sub // edited\n") }, true},
		{"a file's mode", func(t *testing.T, f *fixture) { chmod(t, filepath.Join(f.dir, "main.go"), 0o755) }, true},
		{"a new file", func(t *testing.T, f *fixture) { f.write(t, "sub/new.go", "package sub\n") }, true},
		{"a new empty directory", func(t *testing.T, f *fixture) { mkdir(t, filepath.Join(f.dir, "empty")) }, true},
		{"a renamed file", func(t *testing.T, f *fixture) {
			rename(t, filepath.Join(f.dir, "main.go"), filepath.Join(f.dir, "app.go"))
		}, true},
		{"a symlink's target", func(t *testing.T, f *fixture) { symlink(t, f, "main.go", "sub/lib.go") }, true},
		{"a file the ignore file lets in", func(t *testing.T, f *fixture) { f.write(t, ".dockerignore", "build/\n") }, true},
		{"the Dockerfile", func(t *testing.T, f *fixture) { f.dfContent += "LABEL x=y\n" }, true},
		{"build.yaml", func(t *testing.T, f *fixture) { f.config += "# a comment\n" }, true},
		{"a build arg", func(t *testing.T, f *fixture) { f.o.Args["VERSION"] = "2" }, true},
		{"the platforms", func(t *testing.T, f *fixture) { f.o.Platforms = []string{"linux/arm64"} }, true},
		{"a base image's digest", func(t *testing.T, f *fixture) { f.images["busybox:1.36"] = "sha256:" + strings.Repeat("3", 64) }, true},
		{"a --from image's digest", func(t *testing.T, f *fixture) { f.images["alpine:3.20"] = "sha256:" + strings.Repeat("4", 64) }, true},
		{"a secret's ID", func(t *testing.T, f *fixture) { f.o.Docker.Secrets = []string{"id=other,env=HOME"} }, true},
		{"a label", func(t *testing.T, f *fixture) { f.o.Docker.Labels = []string{"team=a"} }, true},
		{"an annotation", func(t *testing.T, f *fixture) { f.o.Docker.Annotations = []string{"owner=a"} }, true},
		{"the network", func(t *testing.T, f *fixture) { f.o.Docker.Network = "none" }, true},
		{"provenance", func(t *testing.T, f *fixture) { f.o.Attest.Provenance = "mode=max" }, true},
		{"the cache mode", func(t *testing.T, f *fixture) { f.o.CacheMode = "max" }, true},
		{"a tag", func(t *testing.T, f *fixture) { f.o.Tags = []string{"v2"} }, true},
		{"the source date epoch", func(t *testing.T, f *fixture) { e := time.Unix(1e9, 0); f.epoch = &e }, true},
		{"the revision label", func(t *testing.T, f *fixture) { f.labels["org.opencontainers.image.revision"] = "def" }, true},
		{"rewrite-timestamp", func(t *testing.T, f *fixture) { f.rewrite = true }, true},
		{"signed from now on", func(t *testing.T, f *fixture) { f.signing = "KEY A" }, true},
		{"cairn's version", func(t *testing.T, f *fixture) { f.version = "v1.1.0" }, true},
		{"a named context's file", func(t *testing.T, f *fixture) { namedContext(t, f, "lib-v2") }, true},

		{"a file's mtime", func(t *testing.T, f *fixture) { touch(t, filepath.Join(f.dir, "main.go")) }, false},
		{"a directory's mtime", func(t *testing.T, f *fixture) { touch(t, filepath.Join(f.dir, "sub")) }, false},
		{"an ignored file", func(t *testing.T, f *fixture) { f.write(t, "notes.txt", "edited\n") }, false},
		{"a file in an ignored directory", func(t *testing.T, f *fixture) { f.write(t, "build/new.bin", "more\n") }, false},
		{"a secret's value", func(t *testing.T, f *fixture) { f.write(t, secretSrc(f), "changed") }, false},
		{"where a secret is read from", func(t *testing.T, f *fixture) { f.o.Docker.Secrets = []string{"id=token,env=HOME"} }, false},
		{"no-cache", func(t *testing.T, f *fixture) { f.o.Docker.NoCache = true }, false},
		{"pull", func(t *testing.T, f *fixture) { f.o.Docker.Pull = true }, false},
		{"an image the build does not pull", func(t *testing.T, f *fixture) { f.images["golang:1.26"] = "sha256:" + strings.Repeat("5", 64) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.name == "a named context's file" {
				namedContext(t, f, "lib-v1")
			}
			before := f.digest(t)
			if again := f.digest(t); again != before {
				t.Fatalf("the same inputs digested twice: %s, then %s", before, again)
			}
			tt.change(t, f)
			after := f.digest(t)
			if changed := after != before; changed != tt.changes {
				t.Errorf("digest changed: %v, want %v (%s → %s)", changed, tt.changes, before, after)
			}
		})
	}
}

func secretSrc(f *fixture) string {
	_, src, _ := strings.Cut(f.o.Docker.Secrets[0], "src=")
	return src
}

// namedContext makes a directory the named context lib, holding one file.
func namedContext(t *testing.T, f *fixture, content string) {
	t.Helper()
	dir := filepath.Join(filepath.Dir(f.dir), filepath.Base(f.dir)+"-lib")
	f.write(t, filepath.Join(dir, "lib.txt"), content)
	f.o.Docker.BuildContexts = []string{"lib=" + dir}
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, path string) {
	t.Helper()
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
}

func rename(t *testing.T, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}

func touch(t *testing.T, path string) {
	t.Helper()
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
}

// symlink points link at target, replacing what link is.
func symlink(t *testing.T, f *fixture, target, link string) {
	t.Helper()
	path := filepath.Join(f.dir, link)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

// TestSymlinkTarget: a symlink is digested by where it points.
func TestSymlinkTarget(t *testing.T) {
	f := newFixture(t)
	symlink(t, f, "main.go", "sub/lib.go")
	before := f.digest(t)
	symlink(t, f, "../main.go", "sub/lib.go")
	if f.digest(t) == before {
		t.Error("a symlink pointing elsewhere did not change the digest")
	}
}

// TestIgnoreFileOfTheDockerfile: <Dockerfile>.dockerignore beside the
// Dockerfile beats the context's .dockerignore, as in BuildKit.
func TestIgnoreFileOfTheDockerfile(t *testing.T) {
	f := newFixture(t)
	f.write(t, "Dockerfile.dockerignore", "sub/\n")
	before := f.digest(t)
	f.write(t, "notes.txt", "no longer ignored\n")
	if f.digest(t) == before {
		t.Error("notes.txt is ignored by .dockerignore only, which Dockerfile.dockerignore replaces: its edit must change the digest")
	}
	before = f.digest(t)
	f.write(t, "sub/lib.go", "package sub // ignored now\n")
	if f.digest(t) != before {
		t.Error("sub/ is ignored by Dockerfile.dockerignore: its edit changed the digest")
	}
}

// TestExceptionReincludes: a "!" pattern brings a file of an ignored
// directory back into the context.
func TestExceptionReincludes(t *testing.T) {
	f := newFixture(t)
	f.write(t, ".dockerignore", "build/\n!build/keep.txt\n")
	f.write(t, "build/keep.txt", "kept\n")
	before := f.digest(t)
	f.write(t, "build/out.bin", "ignored still\n")
	if f.digest(t) != before {
		t.Error("build/out.bin is ignored: its edit changed the digest")
	}
	f.write(t, "build/keep.txt", "edited\n")
	if f.digest(t) == before {
		t.Error("build/keep.txt is brought back by !build/keep.txt: its edit must change the digest")
	}
}

func TestUnknownInputs(t *testing.T) {
	tests := []struct {
		name   string
		change func(f *fixture)
		what   string
	}{
		{"ADD of a URL", func(f *fixture) { f.dfContent += "ADD https://example.com/x.tgz /x.tgz\n" }, "ADD https://example.com/x.tgz"},
		{"ADD of a git repository", func(f *fixture) { f.dfContent += "ADD git@github.com:a/b.git /b\n" }, "ADD git@github.com:a/b.git"},
		{"ADD of an ARG", func(f *fixture) { f.dfContent += "ARG SRC=x\nADD $SRC /x\n" }, "ADD $SRC"},
		{"a URL context", func(f *fixture) { f.o.Docker.BuildContexts = []string{"lib=https://example.com/lib.git"} }, "named context lib"},
		{"an image without a digest", func(f *fixture) { delete(f.images, "alpine:3.20") }, "image alpine:3.20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.change(f)
			_, err := inputs.Compute(t.Context(), f.project(t))
			var unknown *inputs.UnknownError
			if !errors.As(err, &unknown) || unknown.What != tt.what {
				t.Errorf("error %v, want an *UnknownError about %s", err, tt.what)
			}
		})
	}
	f := newFixture(t)
	f.dfContent += "ADD --checksum=sha256:" + strings.Repeat("a", 64) + " https://example.com/x.tgz /x.tgz\n"
	if _, err := inputs.Compute(t.Context(), f.project(t)); err != nil {
		t.Errorf("an ADD pinned by its checksum: %v, want its digest", err)
	}
}

func TestImages(t *testing.T) {
	f := newFixture(t)
	f.dfContent = "# syntax=docker/dockerfile:1.7\n" + dockerfile + "RUN --mount=from=golang:1.26,target=/go true\n"
	f.o.Docker.BuildContexts = []string{"tools=docker-image://reg.example.com/tools:v1"}
	p := f.project(t)
	got := inputs.Images(p.Config, p.Plan, p.Dockerfile)
	want := []string{"busybox:1.36", "alpine:3.20", "golang:1.26", "reg.example.com/tools:v1", "docker/dockerfile:1.7"}
	if !slices.Equal(got, want) {
		t.Errorf("Images = %q, want %q", got, want)
	}
}

func TestRebuilds(t *testing.T) {
	tests := []struct {
		name   string
		docker config.DockerFlags
		want   bool
	}{
		{"a publish", config.DockerFlags{}, false},
		{"no-cache", config.DockerFlags{NoCache: true}, true},
		{"an output", config.DockerFlags{Outputs: []string{"type=local,dest=out"}}, true},
		{"an image ID file", config.DockerFlags{IIDFile: "id.txt"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.o.Docker = tt.docker
			p := f.project(t)
			if got := inputs.Rebuilds(p.Config, p.Plan); got != tt.want {
				t.Errorf("Rebuilds = %v, want %v", got, tt.want)
			}
		})
	}
}
