package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-build/cairn/internal/testenv"
)

// TestOutdatedCommand: `cairn outdated` exits 3 and names the stage, the
// base and both digests once the base moved; `cairn build --push` then
// rebuilds that stage, says why, and reports the digests in the metadata
// file; afterwards `cairn outdated` exits 0.
func TestOutdatedCommand(t *testing.T) {
	base, other := testenv.BaseRepo(t)+":1", testenv.BaseRepo(t)+":1"
	dockerfile := "FROM " + base + " AS deps\nRUN cat /version > /deps-saw\n\n" +
		"FROM " + other + " AS app\nCOPY --from=deps /deps-saw /deps-saw\n"
	dir := testenv.WriteDir(t, map[string]string{"Dockerfile": dockerfile, "build.yaml": "version: 1\ntargets:\n  app:\n    tags: [v1]\n"})
	v1, _ := testenv.PushBase(t, base, "v1").Digest()
	testenv.PushBase(t, other, "other")
	repo := testenv.Repo(t)
	build := func(t *testing.T) string {
		t.Helper()
		code, _, stderr := runCLI(t, dir, "build", "--addr", testenv.NewDaemon(t).Addr, "--repository", repo, "--push", "--progress", "quiet", "--metadata-file", "meta.json")
		if code != 0 {
			t.Fatalf("cairn build: exit %d: %s", code, stderr)
		}
		return stderr
	}
	build(t)
	if code, stdout, stderr := runCLI(t, dir, "outdated", "--repository", repo); code != 0 || !strings.Contains(stdout, "no base image moved") {
		t.Fatalf("outdated after the first build: exit %d\n%s%s", code, stdout, stderr)
	}

	v2, _ := testenv.PushBase(t, base, "v2").Digest()
	code, stdout, stderr := runCLI(t, dir, "outdated", "--repository", repo)
	t.Logf("cairn outdated:\n%s%s", stdout, stderr)
	if code != exitOutdated {
		t.Errorf("outdated after the base moved: exit %d, want %d", code, exitOutdated)
	}
	for _, want := range []string{"STAGE", "deps", base, v1.String()[:19], v2.String()[:19]} {
		if !strings.Contains(stdout, want) {
			t.Errorf("outdated's table lacks %q", want)
		}
	}
	if strings.Contains(stdout, "app ") || !strings.Contains(stderr, "base images moved for stages deps") {
		t.Errorf("outdated: want only deps listed and the reason on stderr")
	}
	code, stdout, _ = runCLI(t, dir, "outdated", "--repository", repo, "--format", "json")
	var changes []struct{ Stage, Base, Platform, Old, New, CacheRef string }
	if err := json.Unmarshal([]byte(stdout), &changes); err != nil || code != exitOutdated || len(changes) != 1 ||
		changes[0].Stage != "deps" || changes[0].Old != v1.String() || changes[0].New != v2.String() || changes[0].CacheRef != repo+":cache-deps" {
		t.Errorf("outdated --format json: exit %d, %+v (%v)\n%s", code, changes, err, stdout)
	}

	if stderr := build(t); !strings.Contains(stderr, "stage deps: base "+base+" moved since its cache was built") {
		t.Errorf("the rebuild does not say why deps is rebuilt:\n%s", stderr)
	}
	data, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	testenv.ValidateReport(t, data)
	var meta struct {
		Stages []struct {
			Name string
			Base *struct{ Digests, Previous map[string]string }
		}
	}
	if err := json.Unmarshal(data, &meta); err != nil || len(meta.Stages) != 2 || meta.Stages[0].Base == nil {
		t.Fatalf("metadata file: %v\n%s", err, data)
	}
	for pf, d := range meta.Stages[0].Base.Digests {
		if d != v2.String() || meta.Stages[0].Base.Previous[pf] != v1.String() {
			t.Errorf("metadata: deps built on %s (%s), previously %s; want %s, previously %s", d, pf, meta.Stages[0].Base.Previous[pf], v2, v1)
		}
	}
	if code, stdout, stderr := runCLI(t, dir, "outdated", "--repository", repo); code != 0 || !strings.Contains(stdout, "no base image moved") {
		t.Errorf("outdated after the rebuild: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, _ := runCLI(t, dir, "outdated", "--format", "yaml"); code != exitUsage {
		t.Errorf("outdated --format yaml: exit %d, want %d", code, exitUsage)
	}
}
