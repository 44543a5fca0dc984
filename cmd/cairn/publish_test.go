package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cairn-build/cairn/internal/faultproxy"
	"github.com/cairn-build/cairn/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// app has a shared base, a target "app" that fails when FAIL=1, and a
// target "other". STAMP changes every stage, so a wrong publish shows.
const app = `FROM busybox:1.36 AS base
ARG STAMP=1
RUN echo "base $STAMP" > /base

FROM base AS app
ARG FAIL=0
ARG SLEEP=0
RUN sleep $SLEEP && test "$FAIL" = 0 && echo app > /app

FROM busybox:1.36 AS other
ARG STAMP=1
RUN echo "other $STAMP" > /other
`

const appConfig = `version: 1
targets:
  app:
    tags: [v1, latest]
  other:
    tags: [other]
`

// publishEnv is a project, a fresh daemon, and a repository reached
// through a fault-injecting proxy.
type publishEnv struct {
	dir, addr, repo, proxied string
	mode                     string // --cache-mode; "" for build.yaml's
	proxy                    *faultproxy.Proxy
}

func newPublishEnv(t *testing.T) *publishEnv {
	env := testenv.Get(t)
	p := &publishEnv{
		dir:   testenv.WriteDir(t, map[string]string{"Dockerfile": app, "build.yaml": appConfig}),
		addr:  testenv.NewDaemon(t).Addr,
		repo:  testenv.Repo(t),
		proxy: faultproxy.Start(env.Registry),
	}
	t.Cleanup(p.proxy.Close)
	p.proxied = p.proxy.Addr + strings.TrimPrefix(p.repo, env.Registry)
	return p
}

// build runs `cairn build --push` against the proxied repository.
func (p *publishEnv) build(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	args = append([]string{"build", "--addr", p.addr, "--repository", p.proxied, "--push", "--progress", "quiet"}, args...)
	if p.mode != "" {
		args = append(args, "--cache-mode", p.mode)
	}
	return runCLI(t, p.dir, args...)
}

// published makes a first, successful release to compare later runs with.
func (p *publishEnv) published(t *testing.T) map[string]string {
	t.Helper()
	if code, _, stderr := p.build(t); code != 0 {
		t.Fatalf("first build: exit %d: %s", code, stderr)
	}
	tags := testenv.Tags(t, p.repo)
	for _, want := range []string{"v1", "latest", "other", "cache-base", "cache-app", "cache-other"} {
		if tags[want] == "" {
			t.Fatalf("first build did not publish %s: %v", want, tags)
		}
	}
	return tags
}

func assertUnchanged(t *testing.T, p *publishEnv, before map[string]string) {
	t.Helper()
	testenv.WantTags(t, p.repo, before, "tags changed")
}

func TestFailedStagePublishesNothing(t *testing.T) {
	p := newPublishEnv(t)
	before := p.published(t)
	code, _, stderr := p.build(t, "--build-arg", "FAIL=1", "--build-arg", "STAMP=2")
	if code != 1 || !strings.Contains(stderr, "stage app:") || !strings.Contains(stderr, "nothing published: no tag was created or moved") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	assertUnchanged(t, p, before)
}

func TestFailedTagPutRollsBack(t *testing.T) {
	p := newPublishEnv(t)
	before := p.published(t)
	p.proxy.Fail(http.MethodPut, `/manifests/latest$`, http.StatusInternalServerError, -1)
	metadata := filepath.Join(t.TempDir(), "metadata.json")
	code, _, stderr := p.build(t, "--build-arg", "STAMP=2", "--metadata-file", metadata)
	if code != 1 || !strings.Contains(stderr, p.proxied+":latest: failed") {
		t.Errorf("exit %d, want 1 and the failed tag named; stderr:\n%s", code, stderr)
	}
	assertUnchanged(t, p, before)
	var report struct {
		Targets []struct{ Name, Digest string }
		Tags    []struct{ Tag, State string }
	}
	data, err := os.ReadFile(metadata)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &report); err != nil {
		t.Fatal(err)
	}
	if len(report.Targets) != 2 || report.Targets[0].Name != "app" || report.Targets[0].Digest == "" {
		t.Errorf("metadata targets %+v, want app and other with digests", report.Targets)
	}
	states := map[string]string{}
	for _, tag := range report.Tags {
		states[strings.TrimPrefix(tag.Tag, p.proxied+":")] = tag.State
	}
	// Every cache moved (STAMP changed them all), then went back.
	if states["latest"] != "failed" || states["cache-other"] != "rolled-back" || states["cache-base"] != "rolled-back" {
		t.Errorf("metadata tag states %v", states)
	}
}

// TestSecondRunUploadsNoLayers: publishing the same sources again from a
// fresh runner, in a git checkout (so the source date epoch and the OCI
// labels are on), uploads no byte and leaves every tag unchanged. With
// provenance (the default) it uploads only the new provenance, its
// attestation manifest and index, and the tags keep the published index.
func TestSecondRunUploadsNoLayers(t *testing.T) {
	tests := []struct {
		mode       string
		provenance bool
	}{{"inline", false}, {"max", false}, {"inline", true}}
	for _, tt := range tests {
		mode := tt.mode
		name := mode
		if tt.provenance {
			name += "-provenance"
		}
		t.Run(name, func(t *testing.T) {
			if !tt.provenance {
				t.Setenv("BUILDX_NO_DEFAULT_ATTESTATIONS", "1")
			}
			p := newPublishEnv(t)
			testenv.GitCommit(t, p.dir, time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC))
			p.mode = mode
			before := p.published(t)
			first := p.proxy.UploadedBytes()
			p.addr = testenv.NewDaemon(t).Addr // a fresh runner, as in CI
			metadata := filepath.Join(t.TempDir(), "metadata.json")
			// --no-skip: it must build again, not skip the unchanged inputs.
			if code, _, stderr := p.build(t, "--metadata-file", metadata, "--no-skip"); code != 0 {
				t.Fatalf("second build: exit %d: %s", code, stderr)
			}
			if first == 0 {
				t.Fatal("the first build uploaded nothing through the proxy: the test measures nothing")
			}
			// The provenance's blobs and manifests, a few KB per target.
			limit := int64(0)
			if tt.provenance {
				limit = 64 << 10
			}
			if again := p.proxy.UploadedBytes() - first; again > limit {
				t.Errorf("the second run uploaded %d bytes, want at most %d (first run: %d)", again, limit, first)
			}
			assertUnchanged(t, p, before)
			data, err := os.ReadFile(metadata)
			if err != nil {
				t.Fatal(err)
			}
			var report struct{ Tags []struct{ Tag, State string } }
			if err := json.Unmarshal(data, &report); err != nil {
				t.Fatal(err)
			}
			if len(report.Tags) != len(before) {
				t.Errorf("the commit touched %d tags, the first publish made %d", len(report.Tags), len(before))
			}
			for _, tag := range report.Tags {
				if tag.State != "unchanged" {
					t.Errorf("%s: %s, want unchanged", tag.Tag, tag.State)
				}
			}
		})
	}
}

func TestKilledDaemonPublishesNothing(t *testing.T) {
	p := newPublishEnv(t)
	before := p.published(t)
	daemon := testenv.NewDaemon(t)
	p.addr = daemon.Addr
	go func() {
		time.Sleep(3 * time.Second)
		daemon.Stop()
	}()
	code, _, stderr := p.build(t, "--build-arg", "SLEEP=60", "--build-arg", "STAMP=3")
	if code != 1 || !strings.Contains(stderr, "nothing published") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	assertUnchanged(t, p, before)
}

func TestInterruptPublishesNothing(t *testing.T) {
	p := newPublishEnv(t)
	before := p.published(t)
	go func() {
		time.Sleep(3 * time.Second)
		// run() catches SIGINT while it runs, as the CLI does for Ctrl-C.
		_ = syscall.Kill(os.Getpid(), syscall.SIGINT)
	}()
	code, _, stderr := p.build(t, "--build-arg", "SLEEP=60", "--build-arg", "STAMP=4")
	if code != exitCanceled || !strings.Contains(stderr, "cairn: canceled") {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, exitCanceled, stderr)
	}
	assertUnchanged(t, p, before)
}

func TestDryRunShowsMovesWithoutBuilding(t *testing.T) {
	p := newPublishEnv(t)
	before := p.published(t)
	code, stdout, stderr := runCLI(t, p.dir, "build", "--repository", p.repo, "--dry-run", "--addr", "unix:///nonexistent.sock")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		p.repo + ":cache-base: " + before["cache-base"] + " -> (this build)",
		p.repo + ":latest: " + before["latest"] + " -> (this build)",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, stdout)
		}
	}
}

// TestPublishLikeDocker: `cairn build PATH --push` reads the flags after
// PATH and publishes; `-t REF --push` with no build.yaml publishes that tag
// on the last stage.
func TestPublishLikeDocker(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "ctx")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(app), 0o644); err != nil {
		t.Fatal(err)
	}
	addr, repo := testenv.NewDaemon(t).Addr, testenv.Repo(t)

	code, _, stderr := runCLI(t, parent, "build", "ctx", "--addr", addr, "--repository", repo, "--push", "--progress", "quiet")
	if code != 0 {
		t.Fatalf("build ctx --push: exit %d: %s", code, stderr)
	}
	tags := testenv.Tags(t, repo)
	if tags["cache-other"] == "" || len(tags) != 1 {
		t.Errorf("build PATH --push published %v, want the last stage's cache-other", tags)
	}

	code, _, stderr = runCLI(t, dir, "build", "-t", repo+":v1", "--addr", addr, "--push", "--progress", "quiet")
	if code != 0 {
		t.Fatalf("build -t %s:v1 --push: exit %d: %s", repo, code, stderr)
	}
	if tags = testenv.Tags(t, repo); tags["v1"] == "" {
		t.Errorf("build -t REF --push did not publish v1: %v", tags)
	}
}

// TestWarningsAndGitHubOutputs: BuildKit's Dockerfile warnings come again
// after the build, also with --progress quiet, and are in the metadata file;
// under GitHub Actions the digests go to $GITHUB_OUTPUT.
func TestWarningsAndGitHubOutputs(t *testing.T) {
	dir := testenv.WriteDir(t, map[string]string{"Dockerfile": "FROM busybox:1.36 as base\nRUN echo hi > /hi\n"})
	outputs, summary := filepath.Join(dir, "outputs"), filepath.Join(dir, "summary.md")
	t.Setenv("GITHUB_ACTIONS", "true")
	t.Setenv("GITHUB_OUTPUT", outputs)
	t.Setenv("GITHUB_STEP_SUMMARY", summary)
	metadata := filepath.Join(dir, "metadata.json")
	code, _, stderr := runCLI(t, dir, "build", "--addr", testenv.NewDaemon(t).Addr, "--progress", "quiet", "--metadata-file", metadata)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "WARNING: ") || !strings.Contains(stderr, "(Dockerfile:1)") {
		t.Errorf("no Dockerfile warning repeated on stderr:\n%s", stderr)
	}
	data, err := os.ReadFile(metadata)
	if err != nil {
		t.Fatal(err)
	}
	testenv.ValidateReport(t, data)
	var report struct {
		Warnings []struct{ Message string }
		Targets  []struct{ Digest string }
	}
	if err := json.Unmarshal(data, &report); err != nil {
		t.Fatal(err)
	}
	if len(report.Warnings) != 1 {
		t.Errorf("metadata warnings %+v, want the one FromAsCasing warning once", report.Warnings)
	}
	out, _ := os.ReadFile(outputs)
	if len(report.Targets) != 1 || !strings.Contains(string(out), "digest="+report.Targets[0].Digest+"\n") || !strings.Contains(string(out), "metadata="+metadata) {
		t.Errorf("GITHUB_OUTPUT:\n%s\nwant digest=%+v and metadata=", out, report.Targets)
	}
	if md, _ := os.ReadFile(summary); !strings.Contains(string(md), "### cairn build") {
		t.Errorf("no job summary:\n%s", md)
	}
}
