package ci

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cairn-build/cairn/internal/testenv"
)

// githubEnv is what GitHub Actions gives a push to main's job step, with
// the files it appends to under dir.
func githubEnv(dir string) map[string]string {
	return map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_OUTPUT":       filepath.Join(dir, "output"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
		"GITHUB_PATH":         filepath.Join(dir, "path"),
		"GITHUB_REF":          "refs/heads/main",
		"GITHUB_REF_NAME":     "main",
		"GITHUB_EVENT_NAME":   "push",
		"GITHUB_ACTION_PATH":  "..",
		"RUNNER_TEMP":         dir,
	}
}

// outputs parses a $GITHUB_OUTPUT file: NAME=VALUE lines and
// NAME<<DELIMITER blocks.
func outputs(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if k, delim, ok := strings.Cut(line, "<<"); ok {
			var value []string
			for sc.Scan() && sc.Text() != delim {
				value = append(value, sc.Text())
			}
			out[k] = strings.Join(value, "\n")
		} else if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out
}

// TestActionInputsMapped: every input of action.yml reaches its step as
// INPUT_NAME, and every INPUT_ the scripts read is an input.
func TestActionInputsMapped(t *testing.T) {
	data, err := os.ReadFile("../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Inputs map[string]any
		Runs   struct {
			Using string
			Steps []struct {
				Run string
				Env map[string]string
			}
		}
	}
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatal(err)
	}
	if action.Runs.Using != "composite" {
		t.Errorf("runs.using = %q, want composite", action.Runs.Using)
	}
	mapped := map[string]bool{}
	for _, s := range action.Runs.Steps {
		for k, v := range s.Env {
			mapped[k] = true
			input := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(k, "INPUT_"), "_", "-"))
			if want := "${{ inputs." + input + " }}"; v != want {
				t.Errorf("%s: %q, want %q", k, v, want)
			}
		}
	}
	for input := range action.Inputs {
		if k := "INPUT_" + strings.ToUpper(strings.ReplaceAll(input, "-", "_")); !mapped[k] {
			t.Errorf("input %s is not given to any step as %s", input, k)
		}
	}
	for _, sh := range []string{"github/install.sh", "github/run.sh"} {
		src, err := os.ReadFile(sh)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range slices.Compact(regexp.MustCompile(`INPUT_[A-Z_]+`).FindAllString(string(src), -1)) {
			if !mapped[k] {
				t.Errorf("%s reads %s, which no input sets", sh, k)
			}
		}
	}
}

// TestActionInstall: the install step puts a release's binary on the
// job's PATH after checking it against SHA256SUMS, and refuses one that
// does not match.
func TestActionInstall(t *testing.T) {
	bin := buildCairn(t)
	tests := []struct {
		name, sums, wantErr string
	}{
		{"checked", "", ""},
		{"tampered", strings.Repeat("0", 64) + "  cairn-linux-amd64\ndeadbeef  cairn-linux-arm64\n", "checksum"},
		{"not listed", strings.Repeat("0", 64) + "  cairn-plan9-mips\n", "not in the release's SHA256SUMS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			env := githubEnv(dir)
			env["INPUT_VERSION"] = "v9.9.9"
			env["CAIRN_RELEASE_URL"] = release(t, bin, "v9.9.9", tt.sums) + "/download"
			stdout, stderr, err := script(t, "bash", "github/install.sh", dir, env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(stderr, tt.wantErr) {
					t.Fatalf("err %v, stderr %q; want %q", err, stderr, tt.wantErr)
				}
				if _, err := os.Stat(filepath.Join(dir, "cairn-bin", "cairn")); err == nil {
					t.Error("a binary that failed its check was installed")
				}
				return
			}
			if err != nil {
				t.Fatalf("%v: %s", err, stderr)
			}
			path, err := os.ReadFile(env["GITHUB_PATH"])
			if err != nil || strings.TrimSpace(string(path)) != filepath.Join(dir, "cairn-bin") {
				t.Errorf("GITHUB_PATH = %q (%v)", path, err)
			}
			if !strings.HasPrefix(stdout, "cairn ") {
				t.Errorf("the installed cairn printed %q", stdout)
			}
		})
	}
}

// TestActionBuildsAndPublishes runs the action's run step as a push to
// main runs it, against the test daemon ($BUILDKIT_HOST) and registry:
// the tags are published, and digest, metadata and the summary written.
func TestActionBuildsAndPublishes(t *testing.T) {
	bin := buildCairn(t)
	e := testenv.Get(t)
	repo := testenv.Repo(t)
	dir := t.TempDir()
	env := githubEnv(dir)
	env["PATH"] = bin
	env["BUILDKIT_HOST"] = e.BuildkitHost
	env["INPUT_CONTEXT"] = project(t, fmt.Sprint(time.Now().UnixNano()))
	env["INPUT_REPOSITORY"] = repo
	env["INPUT_TARGETS"] = "runtime"
	env["INPUT_TAGS"] = "v1\n" + repo + ":latest, edge"
	env["INPUT_PUSH"] = "true"
	_, stderr, err := script(t, "bash", "github/run.sh", dir, env)
	if err != nil {
		t.Fatalf("%v:\n%s", err, stderr)
	}
	out := outputs(t, env["GITHUB_OUTPUT"])
	digest := out["digest"]
	if !strings.HasPrefix(digest, "sha256:") || out["digest-runtime"] != digest {
		t.Errorf("outputs = %v, want digest and digest-runtime", out)
	}
	if !strings.Contains(out["metadata-json"], `"containerimage.digest": "`+digest+`"`) || out["metadata"] != filepath.Join(dir, "cairn-metadata.json") {
		t.Errorf("metadata outputs: metadata=%q metadata-json=%q", out["metadata"], out["metadata-json"])
	}
	tags := testenv.Tags(t, repo)
	for _, tag := range []string{"v1", "latest", "edge"} {
		if tags[tag] != digest {
			t.Errorf("tag %s = %q, want %s (tags: %v)", tag, tags[tag], digest, tags)
		}
	}
	if tags["cache-runtime"] == "" || tags["cache-deps"] == "" {
		t.Errorf("no cache tags written for main: %v", tags)
	}
	summary, err := os.ReadFile(env["GITHUB_STEP_SUMMARY"])
	if err != nil || !strings.Contains(string(summary), "### cairn build") {
		t.Errorf("summary = %q (%v)", summary, err)
	}
}

// TestActionFlags: the run step maps inputs to cairn's flags and picks the
// daemon: the addr input, $BUILDKIT_HOST, else setup-buildx-action's
// docker-container builder. cairn is a stand-in printing its arguments.
func TestActionFlags(t *testing.T) {
	stub := t.TempDir()
	if err := os.WriteFile(filepath.Join(stub, "cairn"), []byte("#!/bin/sh\nprintf '%s\\n' \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    []string // runs of consecutive arguments cairn must get
		wantErr string
	}{
		{"builder of setup-buildx-action", map[string]string{"BUILDX_BUILDER": "builder-1a2b"},
			[]string{"build", "--addr", "docker-container://buildx_buildkit_builder-1a2b0"}, ""},
		{"the builder input wins", map[string]string{"BUILDX_BUILDER": "x", "INPUT_BUILDER": "mine"},
			[]string{"--addr", "docker-container://buildx_buildkit_mine0"}, ""},
		{"BUILDKIT_HOST over the builder", map[string]string{"BUILDX_BUILDER": "x", "BUILDKIT_HOST": "tcp://bk:1234"},
			[]string{"--addr", "tcp://bk:1234"}, ""},
		{"lists and switches", map[string]string{"BUILDKIT_HOST": "tcp://bk:1234", "INPUT_TAGS": "a, b\nc",
			"INPUT_BUILD_ARGS": "K=a,b\n  V=2  ", "INPUT_PUSH": "true", "INPUT_LOAD": "false", "INPUT_CONTEXT": "sub",
			"INPUT_ARGS": "--no-cache --platform linux/arm64", "INPUT_REGISTRY_MIRRORS": "mirror.gcr.io"},
			[]string{"--tag", "a", "--tag", "b", "--tag", "c", "--build-arg", "K=a,b", "--build-arg", "V=2",
				"--registry-mirror", "mirror.gcr.io", "--push", "--metadata-file", "", "--no-cache", "--platform", "linux/arm64", "sub"}, ""},
		{"no daemon", map[string]string{}, nil, "no BuildKit daemon"},
		{"the docker driver", map[string]string{"BUILDX_BUILDER": "default"}, nil, "docker driver"},
		{"a command cairn has not", map[string]string{"BUILDKIT_HOST": "tcp://bk:1234", "INPUT_COMMAND": "deploy"}, nil, `command "deploy"`},
		{"check does not push", map[string]string{"BUILDKIT_HOST": "tcp://bk:1234", "INPUT_COMMAND": "check", "INPUT_PUSH": "true"}, nil, "only cairn build publishes"},
		{"push is a boolean", map[string]string{"BUILDKIT_HOST": "tcp://bk:1234", "INPUT_PUSH": "yes please"}, nil, "want true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			env := githubEnv(dir)
			env["PATH"] = stub
			for k, v := range tt.env {
				env[k] = v
			}
			stdout, stderr, err := script(t, "bash", "github/run.sh", dir, env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(stderr, tt.wantErr) {
					t.Fatalf("err %v, stderr %q; want %q", err, stderr, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v: %s", err, stderr)
			}
			args := strings.Split(strings.TrimSpace(stdout), "\n")[1:] // after the "cairn …" echo
			if !containsRun(args, tt.want) {
				t.Errorf("cairn got %q, want the run %q", args, tt.want)
			}
		})
	}
}

// containsRun reports whether want occurs in args as consecutive
// arguments; "" in want matches any one.
func containsRun(args, want []string) bool {
	for i := 0; i+len(want) <= len(args); i++ {
		ok := true
		for j, w := range want {
			if w != "" && args[i+j] != w {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
