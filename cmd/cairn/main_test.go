package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/cairn/options"
)

// cairn runs the CLI in process, in dir.
func runCLI(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Chdir(dir)
	var out, errOut bytes.Buffer
	code = run(append([]string{"cairn"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

const goService = `FROM golang:1.26 AS deps
FROM deps AS builder
FROM deps AS test
FROM busybox:1.36 AS runtime
COPY --from=builder /x /x
`

// jsonPlan is the part of `cairn plan --format json` the tests read.
type jsonPlan struct {
	Targets []struct {
		Name   string   `json:"name"`
		Stages []string `json:"stages"`
	} `json:"targets"`
	Stages []struct {
		Name         string   `json:"name"`
		CacheExport  string   `json:"cacheExport"`
		CacheImports []string `json:"cacheImports"`
		Tags         []string `json:"tags"`
	} `json:"stages"`
}

// planJSON runs `cairn plan --format json args…` in dir.
func planJSON(t *testing.T, dir string, args ...string) jsonPlan {
	t.Helper()
	code, stdout, stderr := runCLI(t, dir, append([]string{"plan", "--format", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var plan jsonPlan
	if err := json.Unmarshal([]byte(stdout), &plan); err != nil {
		t.Fatalf("%v in %s", err, stdout)
	}
	return plan
}

func TestPlanJSON(t *testing.T) {
	dir := testenv.WriteDir(t, map[string]string{
		"Dockerfile": goService,
		"build.yaml": "version: 1\nrepository: reg.example.com/app\ntargets:\n  runtime:\n    tags: [latest]\n  test:\n    push: false\n",
	})
	plan := planJSON(t, dir)
	if got := len(plan.Targets); got != 2 || strings.Join(plan.Targets[0].Stages, ",") != "deps,builder,runtime" {
		t.Errorf("targets = %+v", plan.Targets)
	}
	last := plan.Stages[len(plan.Stages)-1]
	if last.Name != "runtime" || last.CacheExport != "reg.example.com/app:cache-runtime" ||
		strings.Join(last.Tags, ",") != "reg.example.com/app:latest" {
		t.Errorf("runtime stage = %+v", last)
	}
}

// TestCacheFromIsImportedByEveryStage: --cache-from's registry refs follow
// each stage's own cache ref among its imports, as buildx imports them.
func TestCacheFromIsImportedByEveryStage(t *testing.T) {
	dir := testenv.WriteDir(t, map[string]string{"Dockerfile": goService})
	plan := planJSON(t, dir, "--repository", "reg.example.com/app",
		"--cache-from", "reg.example.com/app:buildcache", "--cache-from", "type=registry,ref=reg.example.com/base:cache,mode=max")
	for _, s := range plan.Stages {
		if n := len(s.CacheImports); n < 3 || s.CacheImports[0] != "reg.example.com/app:cache-"+s.Name ||
			!slices.Equal(s.CacheImports[n-2:], []string{"reg.example.com/app:buildcache", "reg.example.com/base:cache"}) {
			t.Errorf("stage %s imports %q", s.Name, s.CacheImports)
		}
	}
}

func TestExitCodesAndMessages(t *testing.T) {
	dir := testenv.WriteDir(t, map[string]string{"Dockerfile": goService})
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"plan text", []string{"plan"}, 0, "note: no repository set"},
		{"plan names the platform", []string{"plan"}, 0, ", this machine's platform; `cairn build` plans for the daemon's"},
		{"plan for a platform", []string{"plan", "--platform", "linux/arm64", "--format", "json"}, 0, ""},
		{"bad platform", []string{"plan", "--platform", "linux/nope/x/y"}, 1, "--platform"},
		{"unknown target", []string{"plan", "--target", "buidler"}, 1, `cairn: Dockerfile: unknown target "buidler" (did you mean "builder"?)`},
		{"missing Dockerfile", []string{"plan", "-f", "nope"}, 1, "cairn: read Dockerfile: open nope: no such file or directory"},
		{"missing config", []string{"plan", "-c", "nope.yaml"}, 1, "cairn: read build config: open nope.yaml"},
		{"bad format", []string{"plan", "--format", "xml"}, 2, `cairn: --format "xml": want text, json or dot`},
		{"bad build arg", []string{"plan", "--build-arg", "=x"}, 2, `cairn: --build-arg "=x": want KEY=VALUE`},
		{"unknown flag", []string{"plan", "--nope"}, 2, "flag provided but not defined: -nope"},
		{"unknown command", []string{"bild"}, 2, `cairn: unknown command "bild" (did you mean "build"?)`},
		{"far from any command", []string{"deploy"}, 2, `cairn: unknown command "deploy" (see cairn --help)`},
		{"missing context", []string{"plan", "/does/not/exist"}, 2, "cairn: build context /does/not/exist: stat /does/not/exist: no such file or directory"},
		{"missing context, build", []string{"build", "/does/not/exist", "--push"}, 2, "cairn: build context /does/not/exist"},
		{"stray argument", []string{"plan", ".", "extra"}, 2, "cairn: want at most one PATH (the build context), got 2 arguments: . extra"},
		{"PATH and --context", []string{"plan", ".", "--context", "."}, 2, `cairn: --context ".": PATH (.) names the build context too: give one`},
		{"push with nothing to publish", []string{"build", "--push", "--addr", "unix:///nonexistent/buildkitd.sock"}, 1,
			"cairn: --push: nothing to publish: no repository for cache refs and no tags on any target"},
		{"bare tag without repository", []string{"plan", "-t", "v1"}, 1, `cairn: --tag: tag "v1" needs a repository`},
		{"unreachable daemon", []string{"build", "--addr", "unix:///nonexistent/buildkitd.sock"}, 1, "cairn: cannot reach the BuildKit daemon at unix:///nonexistent/buildkitd.sock"},
		{"bad progress mode", []string{"build", "--progress", "fancy"}, 2, `cairn: --progress: unknown progress mode "fancy": want one of [auto tty plain rawjson quiet]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, dir, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d (stderr: %s)", code, tt.wantCode, stderr)
			}
			if !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("stderr %q does not contain %q", stderr, tt.wantErr)
			}
			if strings.Contains(stderr, "goroutine ") {
				t.Errorf("stack trace on stderr: %s", stderr)
			}
		})
	}
}

// TestArgumentsLikeDocker: flags after PATH are read, PATH is the context,
// -t is the tag and the default target gets it.
func TestArgumentsLikeDocker(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "app")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(goService), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, parent, "plan", "app", "--format", "json", "-t", "reg.example.com/app:v1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var plan struct {
		Targets []struct {
			Name string   `json:"name"`
			Tags []string `json:"tags"`
		} `json:"targets"`
	}
	if err := json.Unmarshal([]byte(stdout), &plan); err != nil {
		t.Fatalf("--format after PATH not read: %v in %q", err, stdout)
	}
	if len(plan.Targets) != 1 || plan.Targets[0].Name != "runtime" || strings.Join(plan.Targets[0].Tags, ",") != "reg.example.com/app:v1" {
		t.Errorf("targets = %+v, want the last stage tagged reg.example.com/app:v1", plan.Targets)
	}
}

func TestInterspersed(t *testing.T) {
	app := newApp(io.Discard, io.Discard)
	tests := []struct{ in, want string }{
		{"cairn build . --push --progress quiet", "cairn build --push --progress quiet -- ."},
		{"cairn build --push .", "cairn build --push -- ."},
		{"cairn build -t reg/app:v1 dir --target x", "cairn build -t reg/app:v1 --target x -- dir"},
		{"cairn build --tag=v1 dir", "cairn build --tag=v1 -- dir"},
		{"cairn build -- -odd-dir", "cairn build -- -odd-dir"},
		{"cairn plan", "cairn plan"},
		{"cairn bild . --push", "cairn bild . --push"},
	}
	for _, tt := range tests {
		if got := strings.Join(options.Interspersed(app, strings.Fields(tt.in)), " "); got != tt.want {
			t.Errorf("Interspersed(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPlanConfigError(t *testing.T) {
	dir := testenv.WriteDir(t, map[string]string{"Dockerfile": goService, "build.yaml": "version: 1\ntargets:\n  runtime:\n    tagz: [x]\n"})
	code, _, stderr := runCLI(t, dir, "plan")
	if want := `cairn: build.yaml:4: targets.runtime.tagz: unknown field (did you mean "tags"?)`; code != 1 || strings.TrimSpace(stderr) != want {
		t.Errorf("exit %d, stderr %q; want 1, %q", code, stderr, want)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, stdout, _ := runCLI(t, t.TempDir(), args...)
		if code != 0 || !strings.HasPrefix(stdout, "cairn ") || !strings.Contains(stdout, "buildkit client") {
			t.Errorf("%v: exit %d, stdout %q", args, code, stdout)
		}
	}
}
