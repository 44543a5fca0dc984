package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	"github.com/urfave/cli/v2"

	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/cairn/options"
)

// pulled reads an image the test registry holds.
func pulled(t *testing.T, ref string) v1.Image {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r)
	if err != nil {
		t.Fatalf("pull %s: %v", ref, err)
	}
	return img
}

// stageCounts reads each stage's steps and cached steps from a metadata file.
func stageCounts(t *testing.T, path string) (steps, cached int) {
	t.Helper()
	var m struct{ Stages []struct{ Steps, Cached int } }
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for _, s := range m.Stages {
		steps, cached = steps+s.Steps, cached+s.Cached
	}
	return steps, cached
}

// secretDockerfile reads the secret in a step that %d makes new: a secret
// is not part of a step's cache key, so a cached step would not read it.
const secretDockerfile = `FROM busybox:1.36
RUN --mount=type=secret,id=token,required=true echo %d && sha256sum /run/secrets/token | cut -d' ' -f1 > /token.sha256
`

// TestSecretIsInNoOutput: a secret reaches RUN --mount=type=secret, and
// its value is in no layer, config or manifest of any pushed image, in no
// progress line, note or report.
func TestSecretIsInNoOutput(t *testing.T) {
	addr, repo := testenv.Get(t).BuildkitHost, testenv.Repo(t)
	secret := fmt.Sprintf("cairn-secret-%d", time.Now().UnixNano())
	t.Setenv("TOKEN", secret)
	dir := testenv.WriteDir(t, map[string]string{"Dockerfile": fmt.Sprintf(secretDockerfile, time.Now().UnixNano())})
	metadata := filepath.Join(t.TempDir(), "m.json")
	code, stdout, stderr := runCLI(t, dir, "build", "--addr", addr, "--repository", repo, "-t", repo+":v1", "--push",
		"--progress", "plain", "--secret", "id=token,env=TOKEN", "--metadata-file", metadata)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "--mount=type=secret") {
		t.Fatalf("no plain progress on stderr:\n%s", stderr)
	}
	report, err := os.ReadFile(metadata)
	if err != nil {
		t.Fatal(err)
	}
	for what, text := range map[string]string{"stdout": stdout, "stderr (progress and notes)": stderr, "metadata file": string(report)} {
		if strings.Contains(text, secret) {
			t.Errorf("the secret is in the %s", what)
		}
	}
	sum := sha256.Sum256([]byte(secret))
	tags := testenv.Tags(t, repo)
	if tags["v1"] == "" || tags["cache-0"] == "" {
		t.Fatalf("pushed tags %v, want v1 and cache-0", tags)
	}
	for tag := range tags {
		img := pulled(t, repo+":"+tag)
		if got := testenv.Files(t, img)["/token.sha256"]; strings.TrimSpace(got) != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: /token.sha256 = %q: the step did not read the secret", tag, got)
		}
		raw := map[string][]byte{}
		raw["manifest"], _ = img.RawManifest()
		raw["config"], _ = img.RawConfigFile()
		layers, err := img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range layers {
			for _, open := range []func() (io.ReadCloser, error){l.Compressed, l.Uncompressed} {
				rc, err := open()
				if err != nil {
					t.Fatal(err)
				}
				data, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					t.Fatal(err)
				}
				raw[fmt.Sprintf("layer %d", i)] = append(raw[fmt.Sprintf("layer %d", i)], data...)
			}
		}
		for what, data := range raw {
			if len(data) == 0 {
				t.Fatalf("%s: %s is empty: nothing was read", tag, what)
			}
			if bytes.Contains(data, []byte(secret)) {
				t.Errorf("%s: the secret is in the %s", tag, what)
			}
		}
	}
}

const flagsDockerfile = `FROM busybox:1.36
COPY --from=extra /hello.txt /hello.txt
RUN grep db.internal /etc/hosts > /hosts
RUN ulimit -n > /nofile
RUN tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' > /net
RUN df -k /dev/shm | tail -n 1 | awk '{print $2}' > /shm
`

// TestDockerFlagsReachTheBuild: named context, add-host, ulimit, network,
// shm size, label, annotation and iidfile, then --no-cache on a daemon that
// has every step cached.
func TestDockerFlagsReachTheBuild(t *testing.T) {
	addr, repo := testenv.Get(t).BuildkitHost, testenv.Repo(t)
	dir := testenv.WriteDir(t, map[string]string{"Dockerfile": flagsDockerfile})
	if err := os.Mkdir(filepath.Join(dir, "extra"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "extra", "hello.txt"), []byte("from the extra context\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	iidfile, metadata := filepath.Join(out, "iid"), filepath.Join(out, "m.json")
	build := func(extra ...string) {
		t.Helper()
		args := append([]string{"build", "--addr", addr, "--repository", repo, "-t", repo + ":v1", "--push", "--progress", "quiet",
			"--build-context", "extra=./extra", "--add-host", "db.internal:10.1.2.3", "--ulimit", "nofile=1024:2048",
			"--network", "none", "--shm-size", "64m", "--label", "org.example.team=cairn,infra",
			"--annotation", "org.example.note=hello", "--iidfile", iidfile, "--metadata-file", metadata}, extra...)
		if code, _, stderr := runCLI(t, dir, args...); code != 0 {
			t.Fatalf("build %v: exit %d: %s", extra, code, stderr)
		}
	}
	build()

	img := pulled(t, repo+":v1")
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Config.Labels["org.example.team"]; got != "cairn,infra" {
		t.Errorf("label org.example.team = %q, want %q", got, "cairn,infra")
	}
	manifest, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if got := manifest.Annotations["org.example.note"]; got != "hello" {
		t.Errorf("manifest annotations %v, want org.example.note=hello", manifest.Annotations)
	}
	configDigest, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	if iid, err := os.ReadFile(iidfile); err != nil || string(iid) != configDigest.String() {
		t.Errorf("iidfile %q (%v), want the config digest %s", iid, err, configDigest)
	}
	files := testenv.Files(t, img)
	for path, want := range map[string]string{
		"/hello.txt": "from the extra context", // COPY --from=extra
		"/hosts":     "10.1.2.3\tdb.internal",  // --add-host
		"/nofile":    "1024",                   // --ulimit: the soft limit
		"/net":       "lo",                     // --network none: loopback only
		"/shm":       "65536",                  // --shm-size 64m, in KiB
	} {
		if got := strings.TrimSpace(files[path]); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}

	build()
	if steps, cached := stageCounts(t, metadata); steps == 0 || cached != steps {
		t.Fatalf("second build: %d of %d steps cached, want all: the --no-cache run below would prove nothing", cached, steps)
	}
	build("--no-cache")
	if steps, cached := stageCounts(t, metadata); steps == 0 || cached != 0 {
		t.Errorf("--no-cache: %d of %d steps cached, want 0", cached, steps)
	}
}

// TestOCIOutput: -o type=oci,dest=x.tar writes an archive holding a valid
// OCI layout of exactly the image the report names (published, the image
// of its attested index): built locally, and published from a fresh daemon
// that takes every step from the cache.
func TestOCIOutput(t *testing.T) {
	env := testenv.Get(t)
	dir := testenv.WriteDir(t, map[string]string{"Dockerfile": fmt.Sprintf("FROM busybox:1.36 AS app\nRUN echo %d > /stamp\n", time.Now().UnixNano())})
	repo := testenv.Repo(t)
	t.Run("local", func(t *testing.T) { checkOCIOutput(t, dir, "--addr", env.BuildkitHost) })
	t.Run("published", func(t *testing.T) {
		push := []string{"--repository", repo, "-t", repo + ":v1", "--push"}
		checkOCIOutput(t, dir, append(push, "--addr", env.BuildkitHost)...)
		metadata := checkOCIOutput(t, dir, append(push, "--addr", testenv.NewDaemon(t).Addr)...)
		if steps, cached := stageCounts(t, metadata); steps == 0 || cached != steps {
			t.Errorf("fresh daemon: %d of %d steps cached, want all from the registry cache", cached, steps)
		}
	})
}

// checkOCIOutput builds with -o type=oci and checks the archive holds
// the reported image; it returns the metadata file.
func checkOCIOutput(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out := t.TempDir()
	archive, metadata := filepath.Join(out, "x.tar"), filepath.Join(out, "m.json")
	code, _, stderr := runCLI(t, dir, append([]string{"build", "--progress", "quiet", "-o", "type=oci,dest=" + archive, "--metadata-file", metadata}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var report struct {
		Targets []struct {
			Name, Digest string
			Attestations []struct{ Subject string }
		}
	}
	data, err := os.ReadFile(metadata)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &report); err != nil || len(report.Targets) != 1 || report.Targets[0].Digest == "" {
		t.Fatalf("report targets %+v (%v)", report.Targets, err)
	}

	layoutDir := filepath.Join(out, "layout")
	untar(t, archive, layoutDir)
	idx, err := layout.ImageIndexFromPath(layoutDir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	// A published image with attestations is an index: the archive holds
	// its image, the attestations' subject.
	want := report.Targets[0].Digest
	if atts := report.Targets[0].Attestations; len(atts) > 0 {
		want = atts[0].Subject
	}
	if len(m.Manifests) != 1 || m.Manifests[0].Digest.String() != want {
		t.Fatalf("layout manifests %+v, want exactly %s, the report's", m.Manifests, want)
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(img); err != nil {
		t.Errorf("invalid image in the layout: %v", err)
	}
	if !strings.Contains(testenv.Files(t, img)["/stamp"], "\n") {
		t.Error("the image lacks the built /stamp")
	}
	return metadata
}

func untar(t *testing.T, archive, dir string) {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, filepath.Clean("/"+h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(path, 0o755)
		case tar.TypeReg:
			if err = os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
				var data []byte
				if data, err = io.ReadAll(tr); err == nil {
					err = os.WriteFile(path, data, 0o644)
				}
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestDockerFlagErrorsBeforeDialing: mistakes in docker build's flags,
// and --load without a Docker engine, fail before the daemon is dialed
// (the address is unreachable on purpose) and before anything is built.
func TestDockerFlagErrorsBeforeDialing(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock") // no engine, whatever the machine has
	dir := testenv.WriteDir(t, map[string]string{"Dockerfile": goService})
	noDaemon := []string{"--addr", "unix:///nonexistent/buildkitd.sock"}
	noEngine := "cairn: --load: no Docker engine reachable: Cannot connect to the Docker daemon at unix:///nonexistent/docker.sock"
	if _, err := exec.LookPath("docker"); err != nil {
		noEngine = "cairn: --load: no Docker engine reachable: no docker CLI in PATH" // cairn's image's test stage
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"load without an engine", []string{"build", "--load"}, noEngine},
		{"one output file for two targets", []string{"build", "--target", "runtime,test", "-o", "type=oci,dest=x.tar"},
			`cairn: --output "type=oci,dest=x.tar": dest "x.tar" must contain {target}: 2 targets are built`},
		{"secret file missing, the value not split at its comma", []string{"check", "--secret", "id=a,src=/nonexistent/a"},
			"cairn: secrets: failed to stat /nonexistent/a"},
		{"secret variable unset", []string{"build", "--secret", "id=t,env=CAIRN_TEST_UNSET"},
			"cairn: secret t: environment variable CAIRN_TEST_UNSET is not set"},
		{"no-cache-filter of no stage", []string{"build", "--no-cache-filter", "nope"},
			`cairn: --no-cache-filter: "nope" is none of the stages the targets need (deps, builder, runtime)`},
		{"network", []string{"build", "--network", "bridge"}, `cairn: --network: unknown network "bridge": want default, none or host`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, dir, append(tt.args, noDaemon...)...)
			if code != 1 || !strings.HasPrefix(stderr, tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, tt.wantErr)
			}
			if strings.Contains(stderr, "BuildKit daemon") {
				t.Errorf("the daemon was dialed first: %s", stderr)
			}
		})
	}
}

// TestListFlagsKeepCommas: a value with commas is one value (urfave/cli
// splits them by default), except where the flag is a list (--platform).
func TestListFlagsKeepCommas(t *testing.T) {
	t.Chdir(testenv.WriteDir(t, map[string]string{"Dockerfile": goService}))
	app := newApp(io.Discard, io.Discard)
	var got []string
	app.Command("build").Action = func(c *cli.Context) error {
		p, err := options.Load(c)
		if err != nil {
			return err
		}
		got = append(c.StringSlice("secret"), p.Config.Args["K"], strings.Join(p.Config.Platforms, " "), p.Config.Solve.Labels["l"])
		return nil
	}
	err := app.Run([]string{"cairn", "build", "--secret", "id=a,src=b", "--build-arg", "K=a,b", "--platform", "linux/amd64,linux/arm64", "--label", "l=x,y"})
	want := []string{"id=a,src=b", "a,b", "linux/amd64 linux/arm64", "x,y"}
	if err != nil || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q (%v), want %q", got, err, want)
	}
}
