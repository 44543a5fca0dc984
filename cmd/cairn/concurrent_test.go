package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-build/cairn/internal/testenv"
)

// source is a copy of the project checked out from git at a commit made
// at the given time: its source time.
func source(t *testing.T, at time.Time) string {
	t.Helper()
	dir := testenv.WriteDir(t, map[string]string{"Dockerfile": app, "build.yaml": appConfig})
	testenv.GitCommit(t, dir, at)
	return dir
}

// metadata is what a metadata file says a build staged: tag → digest the
// commit moves it to, and tag → state it left it in.
type metadata struct{ digests, states map[string]string }

func readMetadata(t *testing.T, path string) metadata {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	testenv.ValidateReport(t, data)
	var report struct {
		Tags []struct{ Tag, Digest, State string }
	}
	if err := json.Unmarshal(data, &report); err != nil {
		t.Fatal(err)
	}
	m := metadata{digests: map[string]string{}, states: map[string]string{}}
	for _, tag := range report.Tags {
		short := tag.Tag[strings.LastIndex(tag.Tag, ":")+1:]
		m.digests[short], m.states[short] = tag.Digest, tag.State
	}
	return m
}

// TestConcurrentPublishesPublishOneBuild: two publishes of different
// sources start at the same time. The final tags end up all from one
// build; every cache tag holds the newer source's cache unless that
// build's commit failed; a publish that failed says why.
func TestConcurrentPublishesPublishOneBuild(t *testing.T) {
	p := newPublishEnv(t) // first: it skips under -short
	bin := buildCairn(t)
	before := p.published(t)
	// Both newer than the first publish, whose source time is when it
	// started (not a git checkout); the second newer than the first.
	now := time.Now()
	dirs := []string{source(t, now.Add(time.Hour)), source(t, now.Add(2*time.Hour))}
	procs := make([]*process, 2)
	files := make([]string, 2)
	for i, dir := range dirs {
		files[i] = filepath.Join(dir, "metadata.json")
		procs[i] = start(t, bin, dir, "build", "--addr", p.addr, "--repository", p.repo, "--push", "--progress", "quiet",
			"--build-arg", "STAMP="+dir, "--metadata-file", files[i])
	}
	codes := []int{procs[0].wait(t), procs[1].wait(t)}
	var builds []metadata
	for i := range procs {
		builds = append(builds, readMetadata(t, files[i]))
		// It loses either at its check of the final tags, or, when both
		// took the record at once (a record write later than the settle,
		// under load), when it verifies the record before its final tags.
		out := procs[i].output()
		if codes[i] != 0 && !strings.Contains(out, "moved by another publisher from ") && !strings.Contains(out, "took this commit's record over") {
			t.Errorf("publish %d: exit %d without saying another publisher moved its tags or took the record:\n%s", i, codes[i], out)
		}
	}
	if codes[0] != 0 && codes[1] != 0 {
		t.Fatalf("both publishes failed:\n%s\n%s", procs[0].output(), procs[1].output())
	}
	got := testenv.Tags(t, p.repo)
	finals := -1
	for i, b := range builds {
		if got["latest"] == b.digests["latest"] {
			finals = i
		}
	}
	if finals < 0 {
		t.Fatalf("latest at %s is neither build's: %v, %v", got["latest"], builds[0].digests, builds[1].digests)
	}
	for _, tag := range []string{"v1", "latest", "other"} {
		if got[tag] != builds[finals].digests[tag] {
			t.Errorf("final tags mixed: %s at %s, want build %d's %s", tag, got[tag], finals, builds[finals].digests[tag])
		}
	}
	t.Logf("exit codes %v; the final tags are build %d's", codes, finals)
	caches := 1 // the newer source's, when both commits went through
	if codes[0] != 0 || codes[1] != 0 {
		caches = finals // the failed one moved nothing
	}
	for _, tag := range []string{"cache-base", "cache-app", "cache-other"} {
		if got[tag] != builds[caches].digests[tag] {
			t.Errorf("%s at %s, want build %d's %s (before: %s)", tag, got[tag], caches, builds[caches].digests[tag], before[tag])
		}
	}
	if codes[0] == 0 && codes[1] == 0 && finals == 0 && builds[0].states["cache-app"] != "skipped-newer" {
		t.Errorf("the older source published last, its cache states %v: want skipped-newer", builds[0].states)
	}
}

// TestPublishDuringAnotherCommit: a publish that reads the tags while
// another commit is under way waits for it, then fails, naming the final
// tag the other moved, from what to what. The registry holds the other
// build's complete set.
func TestPublishDuringAnotherCommit(t *testing.T) {
	p := newPublishEnv(t) // first: it skips under -short
	bin := buildCairn(t)
	before := p.published(t)
	hold := p.proxy.Hold(http.MethodPut, `/manifests/latest$`)
	firstFile, secondFile := filepath.Join(t.TempDir(), "first.json"), filepath.Join(t.TempDir(), "second.json")
	first := start(t, bin, p.dir, "build", "--addr", p.addr, "--repository", p.proxied, "--push", "--progress", "quiet",
		"--build-arg", "STAMP=first", "--metadata-file", firstFile)
	<-hold.Reached()
	second := start(t, bin, p.dir, "build", "--addr", p.addr, "--repository", p.repo, "--push", "--progress", "quiet",
		"--build-arg", "STAMP=second", "--metadata-file", secondFile)
	second.await(t, "note: waiting for the commit to ")
	hold.Release()
	if code := first.wait(t); code != 0 {
		t.Fatalf("first publish: exit %d:\n%s", code, first.output())
	}
	won := readMetadata(t, firstFile)
	code := second.wait(t)
	want := p.repo + ":latest: moved by another publisher from " + before["latest"] + " to " + won.digests["latest"]
	if code != 1 || !strings.Contains(second.output(), want) {
		t.Errorf("second publish: exit %d, want 1 and %q:\n%s", code, want, second.output())
	}
	if lost := readMetadata(t, secondFile); lost.states["latest"] != "conflict" {
		t.Errorf("second publish's tag states %v, want latest in conflict", lost.states)
	}
	testenv.WantTags(t, p.repo, won.digests, "the first publish's tags")
}
