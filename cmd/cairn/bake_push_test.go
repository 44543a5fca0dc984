package main

import (
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-build/cairn/internal/faultproxy"
	"github.com/cairn-build/cairn/internal/testenv"
)

// The two services of bakeEnv: api, and worker, which fails when FAIL=1.
// STAMP changes every stage, so a wrong publish shows.
const (
	bakeAPI = `FROM busybox:1.36 AS base
ARG STAMP=1
RUN echo "api base $STAMP" > /base

FROM base AS release
RUN echo api > /api
`
	bakeWorker = `FROM busybox:1.36 AS release
ARG STAMP=1
ARG FAIL=0
RUN test "$FAIL" = 0 && echo "worker $STAMP" > /worker
`
	bakeHCL = `variable "API" {}
variable "WORKER" {}
variable "STAMP" { default = "1" }
variable "FAIL" { default = "0" }

group "default" { targets = ["api", "worker"] }

target "api" {
  context = "api"
  args    = { STAMP = STAMP }
  tags    = ["${API}:v1", "${API}:latest"]
}

target "worker" {
  context = "worker"
  args    = { STAMP = STAMP, FAIL = FAIL }
  tags    = ["${WORKER}:v1"]
}
`
	bakeCompose = `services:
  api:
    build:
      context: api
    image: ${API}:v1
  worker:
    build:
      context: worker
    image: ${WORKER}:v1
`
)

// bakeEnv is a two-target bake project with one repository per target,
// both reached through a fault-injecting proxy, and a fresh daemon.
type bakeEnv struct {
	dir, addr   string
	api, worker string // the repositories, as the registry names them
	proxy       *faultproxy.Proxy
}

func newBakeEnv(t *testing.T, files map[string]string) *bakeEnv {
	env := testenv.Get(t)
	b := &bakeEnv{dir: t.TempDir(), addr: testenv.NewDaemon(t).Addr, proxy: faultproxy.Start(env.Registry)}
	t.Cleanup(b.proxy.Close)
	b.api, b.worker = testenv.Repo(t)+"-api", testenv.Repo(t)+"-worker"
	testenv.WriteFiles(t, b.dir, files)
	t.Setenv("API", b.proxied(t, b.api))
	t.Setenv("WORKER", b.proxied(t, b.worker))
	t.Setenv("STAMP", "1")
	t.Setenv("FAIL", "0")
	return b
}

func twoServices(bakeFile, content string) map[string]string {
	return map[string]string{bakeFile: content, "api/Dockerfile": bakeAPI, "worker/Dockerfile": bakeWorker}
}

func (b *bakeEnv) proxied(t *testing.T, repo string) string {
	return b.proxy.Addr + strings.TrimPrefix(repo, testenv.Get(t).Registry)
}

// bake runs `cairn bake --push` on the env's daemon.
func (b *bakeEnv) bake(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCLI(t, b.dir, append([]string{"bake", "--addr", b.addr, "--push", "--progress", "quiet"}, args...)...)
}

// tags are both repositories' tags, keyed repository:tag.
func (b *bakeEnv) tags(t *testing.T) map[string]string {
	t.Helper()
	all := map[string]string{}
	for short, repo := range map[string]string{"api": b.api, "worker": b.worker} {
		for tag, d := range testenv.Tags(t, repo) {
			all[short+":"+tag] = d
		}
	}
	return all
}

func (b *bakeEnv) assertTags(t *testing.T, want map[string]string) {
	t.Helper()
	if got := b.tags(t); !maps.Equal(got, want) {
		t.Errorf("tags changed:\n before %v\n after  %v", want, got)
	}
}

// published is a first, successful release of both targets.
func (b *bakeEnv) published(t *testing.T) map[string]string {
	t.Helper()
	if code, stdout, stderr := b.bake(t); code != 0 {
		t.Fatalf("first bake: exit %d:\n%s\n%s", code, stdout, stderr)
	}
	tags := b.tags(t)
	for _, want := range []string{"api:v1", "api:latest", "api:cache-base", "api:cache-release", "worker:v1", "worker:cache-release"} {
		if tags[want] == "" {
			t.Fatalf("the release lacks %s: %v", want, tags)
		}
	}
	return tags
}

// TestBakePublishesAllOrNothing: both targets publish in one commit; a
// later bake whose second target's RUN fails publishes nothing in either
// repository, though the first built; a republish of the same sources
// from a fresh daemon moves no tag.
func TestBakePublishesAllOrNothing(t *testing.T) {
	b := newBakeEnv(t, twoServices("docker-bake.hcl", bakeHCL)) // first: it skips under -short
	before := b.published(t)

	t.Setenv("STAMP", "2")
	t.Setenv("FAIL", "1")
	code, _, stderr := b.bake(t, "--metadata-file", filepath.Join(b.dir, "fail.json"))
	if code != 1 || !strings.Contains(stderr, "worker: ") || !strings.Contains(stderr, "nothing published: no tag was created or moved") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	b.assertTags(t, before)

	t.Setenv("STAMP", "1")
	t.Setenv("FAIL", "0")
	b.addr = testenv.NewDaemon(t).Addr
	meta := filepath.Join(b.dir, "meta.json")
	code, stdout, stderr := b.bake(t, "--no-skip", "--metadata-file", meta)
	if code != 0 {
		t.Fatalf("republish: exit %d:\n%s\n%s", code, stdout, stderr)
	}
	b.assertTags(t, before)
	if !strings.Contains(stdout, "== target api") || !strings.Contains(stdout, "== target worker") {
		t.Errorf("summary lacks a target:\n%s", stdout)
	}
	data, err := os.ReadFile(meta)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]struct {
		Digest    string                                       `json:"containerimage.digest"`
		ImageName string                                       `json:"image.name"`
		Report    struct{ Tags []struct{ Tag, State string } } `json:"cairn.report"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%v in %s", err, data)
	}
	if m["api"].Digest != before["api:v1"] || m["worker"].Digest != before["worker:v1"] ||
		m["worker"].ImageName != b.proxied(t, b.worker)+":v1" || len(m["api"].Report.Tags) == 0 {
		t.Errorf("metadata file:\n%s", data)
	}
	for _, tag := range m["api"].Report.Tags {
		if tag.State != "unchanged" || strings.Contains(tag.Tag, "worker") {
			t.Errorf("api's tag %s: %s", tag.Tag, tag.State)
		}
	}
}

// TestBakeKilledCommitIsRolledBackInEveryRepository: cairn is killed
// during a bake's commit, after the caches of both repositories and api's
// final tags moved, while worker's is held. The next bake puts every tag
// of both repositories back before it builds (here it fails, publishing
// nothing).
func TestBakeKilledCommitIsRolledBackInEveryRepository(t *testing.T) {
	b := newBakeEnv(t, twoServices("docker-bake.hcl", bakeHCL)) // first: it skips under -short
	bin := buildCairn(t)
	before := b.published(t)

	workerPath := strings.TrimPrefix(b.worker, testenv.Get(t).Registry)
	hold := b.proxy.Hold(http.MethodPut, workerPath+`/manifests/v1$`)
	t.Setenv("STAMP", "2")
	c := start(t, bin, b.dir, "bake", "--addr", b.addr, "--push", "--progress", "quiet")
	killWhileHeld(t, c, hold, "worker:v1", func() bool {
		return digest(t, b.api+":v1") != before["api:v1"] && digest(t, b.api+":latest") != before["api:latest"]
	})
	after := b.tags(t)
	if after["worker:v1"] != before["worker:v1"] || after["worker:cache-release"] == before["worker:cache-release"] {
		t.Fatalf("the kill did not land between two tag moves: before %v, after %v", before, after)
	}
	for _, repo := range []string{b.api, b.worker} {
		if state := recordState(t, repo); state != "moving" {
			t.Fatalf("%s: the killed commit's record is %q, want moving", repo, state)
		}
	}

	t.Setenv("STAMP", "3")
	t.Setenv("FAIL", "1")
	code, _, stderr := b.bake(t)
	if code != 1 || !strings.Contains(stderr, "nothing published") {
		t.Errorf("exit %d, want 1: worker fails; stderr:\n%s", code, stderr)
	}
	for _, repo := range []string{b.api, b.worker} {
		if !strings.Contains(stderr, "note: rolled back the unfinished commit to "+b.proxied(t, repo)) {
			t.Errorf("no roll back of %s reported:\n%s", repo, stderr)
		}
		if state := recordState(t, repo); state != "done" {
			t.Errorf("%s: record %q after the roll back, want done", repo, state)
		}
	}
	b.assertTags(t, before)
}

// TestBakeComposePublishesBoth: a compose file's two build: services are
// published in one commit.
func TestBakeComposePublishesBoth(t *testing.T) {
	b := newBakeEnv(t, twoServices("compose.yaml", bakeCompose)) // first: it skips under -short
	code, stdout, stderr := b.bake(t)
	if code != 0 {
		t.Fatalf("exit %d:\n%s\n%s", code, stdout, stderr)
	}
	tags := b.tags(t)
	if tags["api:v1"] == "" || tags["worker:v1"] == "" || tags["worker:cache-release"] == "" {
		t.Errorf("tags = %v", tags)
	}
}

// TestBakeBadInputBuildsNothing: mistakes in the bake input are errors
// before any daemon is dialed (the address given answers nothing) or any
// tag is moved.
func TestBakeBadInputBuildsNothing(t *testing.T) {
	repo := testenv.Repo(t)
	files := twoServices("docker-bake.hcl", bakeHCL)
	files["dup.hcl"] = `target "a" {
  context = "api"
  tags    = ["` + repo + `:v1"]
}
target "b" {
  context = "worker"
  tags    = ["` + repo + `:v1"]
}
group "default" { targets = ["a", "b"] }
`
	files["nocontext.hcl"] = `target "a" {
  context = "missing"
  tags    = ["` + repo + `:v1"]
}
`
	dir := testenv.WriteDir(t, files)
	t.Setenv("API", repo+"-api")
	t.Setenv("WORKER", repo+"-worker")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown target", []string{"wroker"}, exitUsage, `unknown target or group "wroker" in docker-bake.hcl (did you mean "worker"?)`},
		{"unknown group", []string{"-f", "dup.hcl", "all"}, exitUsage, `unknown target or group "all" in dup.hcl`},
		{"no context", []string{"-f", "nocontext.hcl", "a"}, exitFailure, "target a: build context missing: stat missing: no such file or directory"},
		{"one tag, two targets", []string{"-f", "dup.hcl"}, exitFailure, "targets a and b both publish " + repo + ":v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"bake", "--addr", "unix:///nonexistent/buildkitd.sock", "--push", "--progress", "quiet"}, tt.args...)
			code, _, stderr := runCLI(t, dir, args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, want %d; stderr lacks %q:\n%s", code, tt.code, tt.want, stderr)
			}
		})
	}
	for _, r := range []string{repo, repo + "-api", repo + "-worker"} {
		if tags := testenv.Tags(t, r); len(tags) > 0 {
			t.Errorf("%s has tags: %v", r, tags)
		}
	}
}

// TestBakePolicyPerTarget: the build.yaml beside the bake file gives one
// target a check its image fails: the bake publishes nothing in either
// repository, and the error names that target's check; without the entry
// both publish.
func TestBakePolicyPerTarget(t *testing.T) {
	files := twoServices("docker-bake.hcl", bakeHCL)
	files["build.yaml"] = `version: 1
bake:
  worker:
    checks:
      files:
        - path: /worker-missing
`
	b := newBakeEnv(t, files) // first: it skips under -short
	code, stdout, stderr := b.bake(t)
	if code != 1 || !strings.Contains(stdout+stderr, "/worker-missing") || !strings.Contains(stderr, "nothing published") {
		t.Errorf("exit %d, want 1 naming worker's check:\n%s\n%s", code, stdout, stderr)
	}
	b.assertTags(t, map[string]string{})

	if err := os.WriteFile(filepath.Join(b.dir, "build.yaml"), []byte("version: 1\nbake:\n  worker:\n    checks:\n      files:\n        - path: /worker\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := b.bake(t); code != 0 {
		t.Fatalf("exit %d with a check worker passes:\n%s\n%s", code, stdout, stderr)
	}
	if tags := b.tags(t); tags["api:v1"] == "" || tags["worker:v1"] == "" {
		t.Errorf("tags = %v", tags)
	}
}

// TestBakeLinkedTargetIsNoBaseImage: a target read as a named context
// (contexts = { base = "target:base" }) reaches FROM base by digest; it is
// not an image of docker.io whose freshness cairn checks.
func TestBakeLinkedTargetIsNoBaseImage(t *testing.T) {
	b := newBakeEnv(t, map[string]string{
		"docker-bake.hcl": `variable "API" {}
target "base" {
  context = "base"
}
target "api" {
  context  = "api"
  contexts = { base = "target:base" }
  tags     = ["${API}:v1"]
}
`,
		"base/Dockerfile": "FROM busybox:1.36\nRUN echo shared > /base\n",
		"api/Dockerfile":  "FROM base\nRUN cat /base > /api\n",
	})
	code, stdout, stderr := b.bake(t, "api")
	if code != 0 {
		t.Fatalf("exit %d:\n%s\n%s", code, stdout, stderr)
	}
	if strings.Contains(stderr, "library/base") {
		t.Errorf("the linked target was checked as a base image:\n%s", stderr)
	}
	if tags := b.tags(t); tags["api:v1"] == "" {
		t.Errorf("tags = %v", tags)
	}
}
