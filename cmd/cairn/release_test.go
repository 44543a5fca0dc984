package main

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-build/cairn/internal/testenv"
)

// githubActions sets the variables GitHub Actions gives a job (the CLI
// reads the process environment), every other one cleared.
func githubActions(t *testing.T, vars map[string]string) {
	t.Helper()
	for _, k := range []string{"GITHUB_EVENT_NAME", "GITHUB_REF", "GITHUB_REF_NAME", "GITHUB_HEAD_REF"} {
		t.Setenv(k, vars[k])
	}
	t.Setenv("GITHUB_ACTIONS", "true")
}

// TestPullRequestHoldsReleaseTags: main publishes latest; a pull
// request build with --push fails before building, naming the held tags
// and the opt-ins, and moves nothing; with only tags of its own ({pr}) it
// publishes those; with --allow-release it moves latest. A build of an
// unprotected branch is held as a pull request's is.
func TestPullRequestHoldsReleaseTags(t *testing.T) {
	addr, repo := testenv.Get(t).BuildkitHost, testenv.Repo(t)
	dir := testenv.WriteDir(t, map[string]string{"Dockerfile": app, "build.yaml": tieredApp})
	build := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, dir, append([]string{"build", "--addr", addr, "--repository", repo, "--progress", "quiet", "--target", "app"}, args...)...)
	}
	githubActions(t, map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main", "GITHUB_REF_NAME": "main"})
	if code, _, stderr := build("--push"); code != 0 {
		t.Fatalf("main: exit %d: %s", code, stderr)
	}
	mainTags := testenv.Tags(t, repo)
	if mainTags["latest"] == "" || mainTags["cache-main-app"] == "" {
		t.Fatalf("main published %v", mainTags)
	}
	assertTags := func(what string, want map[string]string) {
		t.Helper()
		if after := testenv.Tags(t, repo); !maps.Equal(after, want) {
			t.Errorf("%s: tags\n %v\nwant\n %v", what, after, want)
		}
	}

	// A pull request from branch feat, its files changed (STAMP=2).
	githubActions(t, map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_REF": "refs/pull/7/merge", "GITHUB_REF_NAME": "7/merge", "GITHUB_HEAD_REF": "feat"})
	// Held before dialing: a daemon that cannot be reached is never asked.
	code, _, stderr := runCLI(t, dir, "build", "--addr", "unix:///nonexistent/buildkitd.sock", "--repository", repo, "--push", "--build-arg", "STAMP=2")
	for _, want := range []string{
		"cairn: final tags held: a pull request build (GITHUB_EVENT_NAME=pull_request) moves only final tags of its own",
		"not " + repo + ":latest; ", "set release.allowAnyBuild: true in build.yaml\n",
		"nothing published: no tag was created or moved", "(--allow-release publishes them from this build alone)",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("pull request --push: stderr lacks %q:\n%s", want, stderr)
		}
	}
	if code != exitFailure || strings.Contains(stderr, "cannot reach") {
		t.Errorf("pull request --push: exit %d, want %d before building", code, exitFailure)
	}
	assertTags("pull request --push", mainTags)

	code, stdout, stderr := build("--dry-run")
	if held := repo + ":latest: " + mainTags["latest"] + " -> (held: a pull request build (GITHUB_EVENT_NAME=pull_request)"; code != 0 || !strings.Contains(stdout, held) {
		t.Errorf("pull request --dry-run: exit %d, want %q in:\n%s%s", code, held, stdout, stderr)
	}
	if code, _, stderr := runCLI(t, dir, "plan", "--repository", repo); code != 0 || !strings.Contains(stderr, "note: final tags held: a pull request build") {
		t.Errorf("pull request plan: exit %d, no held note:\n%s", code, stderr)
	}

	// Its own tag only: pr-7 is published; the caches are read-only.
	own := strings.Replace(tieredApp, "[latest]", `["pr-{pr}"]`, 1)
	if err := os.WriteFile(filepath.Join(dir, "build.yaml"), []byte(own), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := build("--push", "--build-arg", "STAMP=2"); code != 0 {
		t.Fatalf("pull request with pr-{pr}: exit %d: %s", code, stderr)
	}
	prTags := testenv.Tags(t, repo)
	if prTags["pr-7"] == "" || prTags["pr-7"] == mainTags["latest"] {
		t.Errorf("pull request with pr-{pr} published %v, want pr-7, a new image", prTags)
	}
	if delete(prTags, "pr-7"); !maps.Equal(prTags, mainTags) {
		t.Errorf("pull request with pr-{pr} moved more than pr-7:\n %v\nwant\n %v", prTags, mainTags)
	}

	// On purpose: --allow-release moves latest.
	if err := os.WriteFile(filepath.Join(dir, "build.yaml"), []byte(tieredApp), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := build("--push", "--build-arg", "STAMP=2", "--allow-release"); code != 0 {
		t.Fatalf("pull request --allow-release: exit %d: %s", code, stderr)
	}
	if after := testenv.Tags(t, repo); after["latest"] == mainTags["latest"] || after["cache-main-app"] != mainTags["cache-main-app"] {
		t.Errorf("pull request --allow-release: tags %v, want latest moved, main's cache kept (main: %v)", after, mainTags)
	}

	// A push to an unprotected branch is held too.
	githubActions(t, map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/topic", "GITHUB_REF_NAME": "topic"})
	before := testenv.Tags(t, repo)
	if code, _, stderr := build("--push", "--build-arg", "STAMP=3"); code != exitFailure ||
		!strings.Contains(stderr, "final tags held: a build of unprotected branch topic (cache.protected: main)") {
		t.Errorf("unprotected branch --push: exit %d:\n%s", code, stderr)
	}
	assertTags("unprotected branch --push", before)
}
