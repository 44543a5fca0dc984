package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/cairn-build/cairn/internal/testenv"
)

// elsewhere is the other project's Dockerfile: the same stage names as
// PATH's, so only the tags and caches tell them apart.
const elsewhere = `FROM busybox:1.36 AS test
RUN echo other-test > /t

FROM busybox:1.36 AS runtime
RUN echo other > /other-only
`

// elsewhereConfig names its caches in its own repository (not through
// {repository}, which --repository would redirect), builds a gate, and
// checks for a file only its image has.
const elsewhereConfig = `version: 1
repository: %[1]s
cache:
  ref: "%[1]s:cache-{branch}-{stage}"
targets:
  test:
    push: false
  runtime:
    tags: [latest]
    checks:
      files:
        - { path: /other-only }
`

// TestPathIgnoresCurrentDirectoryConfig: run from a directory holding
// another project's build.yaml, every command given PATH (which has no
// build.yaml) acts on PATH's project alone: its last stage, its -t tag,
// caches under its --repository, no check of the other's; the other
// project's repository is left as it was.
func TestPathIgnoresCurrentDirectoryConfig(t *testing.T) {
	addr := testenv.Get(t).BuildkitHost
	other, own := testenv.Repo(t), testenv.Repo(t)+"-own"
	cwd := testenv.WriteDir(t, map[string]string{"Dockerfile": elsewhere, "build.yaml": fmt.Sprintf(elsewhereConfig, other)})
	path := testenv.WriteDir(t, map[string]string{"Dockerfile": "FROM busybox:1.36 AS test\nRUN echo test > /t\n\nFROM busybox:1.36 AS runtime\nRUN echo path > /path\n"})
	if code, _, stderr := runCLI(t, cwd, "build", "--addr", addr, "--push", "--progress", "quiet", "--branch", "old"); code != 0 {
		t.Fatalf("the other project's build: exit %d: %s", code, stderr)
	}
	otherTags := testenv.Tags(t, other)
	if otherTags["latest"] == "" || otherTags["cache-old-runtime"] == "" || otherTags["cache-old-_tier"] == "" {
		t.Fatalf("the other project published %v", otherTags)
	}
	cli := func(args ...string) (int, string, string) {
		t.Helper()
		code, stdout, stderr := runCLI(t, cwd, args...)
		if strings.Contains(stdout+stderr, other) {
			t.Errorf("cairn %s names the other project's repository:\n%s%s", args[0], stdout, stderr)
		}
		return code, stdout, stderr
	}
	ownFlags := []string{"--repository", own, "-t", "v1"}

	code, stdout, stderr := cli(append([]string{"plan", path, "--format", "json"}, ownFlags...)...)
	var plan struct {
		Targets []struct {
			Name string   `json:"name"`
			Tags []string `json:"tags"`
		} `json:"targets"`
	}
	if err := json.Unmarshal([]byte(stdout), &plan); err != nil || code != 0 {
		t.Fatalf("plan: exit %d, %v: %s%s", code, err, stdout, stderr)
	}
	if len(plan.Targets) != 1 || plan.Targets[0].Name != "runtime" || strings.Join(plan.Targets[0].Tags, ",") != own+":v1" {
		t.Errorf("plan: targets %+v, want PATH's last stage tagged %s:v1", plan.Targets, own)
	}

	code, stdout, stderr = cli(append([]string{"build", path, "--dry-run", "--addr", addr}, ownFlags...)...)
	if want := own + ":cache-runtime: (new tag) -> (this build)\n" + own + ":v1: (new tag) -> (this build)\n"; code != 0 || stdout != want {
		t.Errorf("dry run: exit %d, stdout\n%s\nwant\n%s%s", code, stdout, want, stderr)
	}

	if code, _, stderr = cli(append([]string{"build", path, "--push", "--addr", addr, "--progress", "quiet"}, ownFlags...)...); code != 0 {
		t.Fatalf("build --push: exit %d: %s", code, stderr)
	}
	ownTags := testenv.Tags(t, own)
	if len(ownTags) != 2 || ownTags["v1"] == "" || ownTags["cache-runtime"] == "" {
		t.Errorf("build --push wrote %v to %s, want v1 and cache-runtime", ownTags, own)
	}

	if code, _, stderr = cli(append([]string{"check", path, "--addr", addr, "--progress", "quiet"}, ownFlags...)...); code != 0 {
		t.Errorf("check (the other project's would fail: no /other-only): exit %d: %s", code, stderr)
	}
	if code, stdout, stderr = cli("outdated", path, "--repository", own); code != 0 || !strings.Contains(stdout, "no base image moved") {
		t.Errorf("outdated: exit %d: %s%s", code, stdout, stderr)
	}
	if code, stdout, stderr = cli("recover", path, "--repository", own); code != 0 {
		t.Errorf("recover: exit %d: %s%s", code, stdout, stderr)
	}
	// PATH's caches name no {branch}: it has no tiers to prune. The other
	// project's stale tier "old" would be deleted by --older-than 0s.
	if code, stdout, stderr = cli("prune", path, "--repository", own, "--older-than", "0s"); code != 1 || !strings.Contains(stderr, "no branch tiers") {
		t.Errorf("prune: exit %d, want 1 and no branch tiers: %s%s", code, stdout, stderr)
	}

	testenv.WantTags(t, other, otherTags, "the other project's tags changed")
	testenv.WantTags(t, own, ownTags, "PATH's tags changed after its publish")
}
