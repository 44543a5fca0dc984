package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cairn-build/cairn/internal/testenv"
)

// nowhere is a daemon address nothing listens on: a run that dials it fails.
const nowhere = "unix:///nonexistent/buildkitd.sock"

// skipEnv is a project built FROM a base of the test's own (so cairn
// resolves it, as BuildKit does), published once.
type skipEnv struct {
	dir, repo, base string
	addr            string // a live daemon
	published       map[string]string
}

func newSkipEnv(t *testing.T) *skipEnv {
	t.Helper()
	e := &skipEnv{base: testenv.BaseRepo(t) + ":1", repo: testenv.Repo(t), addr: testenv.NewDaemon(t).Addr}
	testenv.PushBase(t, e.base, "v1")
	dockerfile := "FROM " + e.base + " AS build\nARG STAMP=1\nCOPY input.txt /input.txt\n" +
		"RUN cat /version /input.txt > /out && echo $STAMP >> /out\n\n" +
		"FROM " + e.base + " AS app\nCOPY --from=build /out /out\n"
	e.dir = testenv.WriteDir(t, map[string]string{
		"Dockerfile": dockerfile, "input.txt": "hello\n", "notes.md": "not in any image\n",
		"build.yaml": "version: 1\ntargets:\n  app:\n    tags: [v1]\n",
	})
	if code, _, stderr := e.build(t, e.addr); code != 0 {
		t.Fatalf("first publish: exit %d: %s", code, stderr)
	}
	e.published = testenv.Tags(t, e.repo)
	for _, tag := range []string{"v1", "cache-build", "cache-app"} {
		if e.published[tag] == "" {
			t.Fatalf("the first publish made no %s: %v", tag, e.published)
		}
	}
	return e
}

// build runs `cairn build --push` on the daemon at addr ("" for
// $BUILDKIT_HOST's).
func (e *skipEnv) build(t *testing.T, addr string, args ...string) (int, string, string) {
	t.Helper()
	args = append([]string{"build", "--repository", e.repo, "--push", "--progress", "quiet"}, args...)
	if addr != "" {
		args = append(args, "--addr", addr)
	}
	return runCLI(t, e.dir, args...)
}

// skips checks that a publish with no daemon to dial succeeds, moving
// nothing, and says so per target.
func (e *skipEnv) skips(t *testing.T, args ...string) {
	t.Helper()
	metadata := filepath.Join(t.TempDir(), "metadata.json")
	code, stdout, stderr := e.build(t, nowhere, append(args, "--metadata-file", metadata)...)
	if code != 0 || !strings.Contains(stdout, "skipped: inputs unchanged") {
		t.Fatalf("exit %d, want 0 and the target skipped:\n%s\n%s", code, stdout, stderr)
	}
	e.unchanged(t)
	data, err := os.ReadFile(metadata)
	if err != nil {
		t.Fatal(err)
	}
	testenv.ValidateReport(t, data)
	var report struct {
		Targets []struct{ Name, Digest, Skipped string }
		Tags    []struct{ Tag, State string }
	}
	if err := json.Unmarshal(data, &report); err != nil {
		t.Fatal(err)
	}
	if len(report.Targets) != 1 || report.Targets[0].Skipped != "inputs unchanged" || report.Targets[0].Digest != e.published["v1"] {
		t.Errorf("metadata targets %+v, want app skipped at %s", report.Targets, e.published["v1"])
	}
	for _, tag := range report.Tags {
		if tag.State != "unchanged" {
			t.Errorf("metadata: %s %s, want unchanged", tag.Tag, tag.State)
		}
	}
}

// builds checks that a publish dials the daemon, which is not there: it
// fails with the daemon's error, moving nothing.
func (e *skipEnv) builds(t *testing.T, args ...string) {
	t.Helper()
	code, stdout, stderr := e.build(t, nowhere, args...)
	if code != 1 || !strings.Contains(stderr, "cannot reach the BuildKit daemon at "+nowhere) {
		t.Errorf("exit %d, want 1 and the daemon's error: it must build:\n%s\n%s", code, stdout, stderr)
	}
	e.unchanged(t)
}

func (e *skipEnv) unchanged(t *testing.T) {
	t.Helper()
	if now := testenv.Tags(t, e.repo); !equalTags(now, e.published) {
		t.Errorf("tags changed:\n before %v\n after  %v", e.published, now)
	}
}

func equalTags(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func (e *skipEnv) write(t *testing.T, file, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(e.dir, file), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestUnchangedPublishDialsNoDaemon: publishing the published inputs
// again, with BUILDKIT_HOST naming nothing, succeeds and moves nothing; an
// edited file, a changed build arg, --no-cache, --no-skip, a tag someone
// else moved and a re-pushed base image each make it build (and so fail,
// there being no daemon).
func TestUnchangedPublishDialsNoDaemon(t *testing.T) {
	e := newSkipEnv(t)
	t.Run("no change, BUILDKIT_HOST naming nothing", func(t *testing.T) {
		t.Setenv("BUILDKIT_HOST", nowhere)
		code, stdout, stderr := e.build(t, "")
		if code != 0 || !strings.Contains(stdout, "skipped: inputs unchanged") {
			t.Fatalf("exit %d, want 0 and the target skipped:\n%s\n%s", code, stdout, stderr)
		}
		e.unchanged(t)
	})
	t.Run("no change", func(t *testing.T) { e.skips(t) })
	t.Run("an edited file", func(t *testing.T) {
		e.write(t, "input.txt", "edited\n")
		e.builds(t)
		e.write(t, "input.txt", "hello\n") // back, with a new mtime
		e.skips(t)
	})
	t.Run("a changed build arg", func(t *testing.T) { e.builds(t, "--build-arg", "STAMP=2") })
	t.Run("no-cache", func(t *testing.T) { e.builds(t, "--no-cache") })
	t.Run("no-skip", func(t *testing.T) { e.builds(t, "--no-skip") })
	t.Run("a tag moved by someone else", func(t *testing.T) {
		v1, err := name.NewTag(e.repo+":v1", name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		retag := func(tag, to string) {
			t.Helper()
			desc, err := remote.Get(v1.Context().Digest(e.published[to]))
			if err != nil {
				t.Fatal(err)
			}
			if err := remote.Tag(v1.Context().Tag(tag), desc); err != nil {
				t.Fatal(err)
			}
		}
		retag("v1", "cache-build")
		code, _, stderr := e.build(t, nowhere)
		if code != 1 || !strings.Contains(stderr, "cannot reach the BuildKit daemon") {
			t.Errorf("exit %d, want 1 and the daemon's error: it must build:\n%s", code, stderr)
		}
		retag("v1", "v1")
		e.skips(t)
	})
	t.Run("a re-pushed base", func(t *testing.T) {
		testenv.PushBase(t, e.base, "v2")
		e.builds(t)
	})
}

// TestChangedInputsArePublishedThenSkipped: after an edit, the publish
// builds and records the new inputs, and the next one skips; an edit of a
// file no image holds moves no tag, and is recorded too.
func TestChangedInputsArePublishedThenSkipped(t *testing.T) {
	e := newSkipEnv(t)
	e.write(t, "input.txt", "edited\n")
	if code, _, stderr := e.build(t, e.addr); code != 0 {
		t.Fatalf("publish of the edit: exit %d: %s", code, stderr)
	}
	if now := testenv.Tags(t, e.repo); now["v1"] == e.published["v1"] {
		t.Fatalf("the edit did not move v1: %v", now)
	}
	e.published = testenv.Tags(t, e.repo)
	e.skips(t)

	e.write(t, "notes.md", "edited, still in no image\n")
	code, stdout, stderr := e.build(t, e.addr)
	if code != 0 || strings.Contains(stdout, "skipped: inputs") {
		t.Fatalf("publish of an edit no image holds: exit %d, want a build:\n%s\n%s", code, stdout, stderr)
	}
	e.unchanged(t)
	e.skips(t)
}
