package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-build/cairn/internal/testenv"
)

// checkedImage is a small image every check kind can look at.
const checkedImage = `FROM busybox:1.36
ENV MODE=production
RUN mkdir -p /app && echo "version=1.2.3" > /app/VERSION && \
    printf '#!/bin/sh\necho ready\n' > /app/run && chmod 0755 /app/run && \
    chown -R 65534:65534 /app
EXPOSE 8080
USER nobody
ENTRYPOINT ["/app/run"]
`

// checksFor is a build.yaml whose checks all pass on checkedImage; each
// failing variant below breaks exactly one of them.
const checksFor = `version: 1
targets:
  "0":
    checks:
      files:
        - path: /app/run
          permissions: "-rwxr-xr-x"
          uid: 65534
          executable: any
        - path: /app/VERSION
          contains: ["^version=1\\.2\\.3"]
          excludes: ["SNAPSHOT"]
        - path: /etc/shadow
          exists: false
      metadata:
        env: { MODE: "^production$" }
        exposedPorts: ["8080"]
        entrypoint: ["/app/run"]
        notRoot: true
      commands:
        - name: it starts
          command: /app/run
          expectedOutput: ["^ready"]
        - name: the version file
          setup: ["cp /app/VERSION /tmp/v"]
          command: cat
          args: ["/tmp/v"]
          expectedOutput: ["1\\.2\\.3"]
      efficiency:
        highestWastedBytes: 1MB
      lint:
        ignore: [CAIRN006]
`

// targetChecks is a target's checks as the metadata file reports them.
type targetChecks struct {
	Target  string
	Lint    []struct{ Rule, Severity string }
	Results []struct {
		Kind, Name string
		Passed     bool
	}
	Efficiency *struct{ WastedBytes int64 }
}

func readChecks(t *testing.T, path string) []targetChecks {
	t.Helper()
	var m struct{ Checks []targetChecks }
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m.Checks
}

func TestEveryCheckKindPassesAndFails(t *testing.T) {
	addr := testenv.Get(t).BuildkitHost
	tests := []struct {
		name       string
		old, new   string // replaced in checksFor
		dockerfile string // appended to checkedImage
		wantFailed string // kind:name of the one failing check, "" when all pass
	}{
		{name: "all pass"},
		{name: "file permissions", old: `permissions: "-rwxr-xr-x"`, new: `permissions: "-rwx------"`, wantFailed: "file:/app/run"},
		{name: "file must not exist", old: "path: /etc/shadow", new: "path: /etc/passwd", wantFailed: "file:/etc/passwd"},
		{name: "file content", old: `excludes: ["SNAPSHOT"]`, new: `excludes: ["version"]`, wantFailed: "file:/app/VERSION"},
		{name: "metadata", old: "notRoot: true", new: "notRoot: true\n        workdir: /srv", wantFailed: "metadata:"},
		{name: "command output", old: `expectedOutput: ["^ready"]`, new: `expectedOutput: ["^steady"]`, wantFailed: "command:it starts"},
		{name: "command exit code", old: "command: /app/run", new: "command: /app/run\n          exitCode: 1", wantFailed: "command:it starts"},
		{name: "efficiency", dockerfile: "USER root\nRUN dd if=/dev/zero of=/big bs=1M count=2\nRUN rm /big\nUSER nobody\n", wantFailed: "efficiency:"},
		{name: "lint", dockerfile: "ENV API_TOKEN=abc\n", wantFailed: "lint:CAIRN003"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yaml := checksFor
			if tt.old != "" {
				if !strings.Contains(yaml, tt.old) {
					t.Fatalf("build.yaml has no %q", tt.old)
				}
				yaml = strings.Replace(yaml, tt.old, tt.new, 1)
			}
			dir := testenv.WriteDir(t, map[string]string{"Dockerfile": checkedImage + tt.dockerfile, "build.yaml": yaml, ".dockerignore": ""})
			metadata := filepath.Join(t.TempDir(), "m.json")
			code, stdout, stderr := runCLI(t, dir, "check", "--addr", addr, "--progress", "quiet", "--metadata-file", metadata)
			var failed []string
			for _, target := range readChecks(t, metadata) {
				for _, f := range target.Lint {
					if f.Severity == "error" {
						failed = append(failed, "lint:"+f.Rule)
					}
				}
				for _, r := range target.Results {
					if !r.Passed {
						name := r.Name
						if r.Kind == "metadata" || r.Kind == "efficiency" {
							name = ""
						}
						failed = append(failed, r.Kind+":"+name)
					}
				}
			}
			want := []string{}
			if tt.wantFailed != "" {
				want = []string{tt.wantFailed}
			}
			if strings.Join(failed, " ") != strings.Join(want, " ") {
				t.Errorf("failed checks %v, want %v\nstdout:\n%s\nstderr:\n%s", failed, want, stdout, stderr)
			}
			if wantCode := map[bool]int{true: 0, false: 1}[tt.wantFailed == ""]; code != wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, wantCode, stderr)
			}
		})
	}
}

func TestWastedBytesExample(t *testing.T) {
	addr := testenv.Get(t).BuildkitHost
	dir := t.TempDir()
	for _, f := range []string{"Dockerfile", "Dockerfile.tidy", "build.yaml"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "examples", "efficiency", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	metadata := filepath.Join(t.TempDir(), "m.json")
	code, stdout, stderr := runCLI(t, dir, "check", "--addr", addr, "--progress", "quiet", "--metadata-file", metadata)
	if code != 1 || !strings.Contains(stdout, "/data/one") {
		t.Errorf("wasteful: exit %d, want 1 and /data/one in the report\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	// /data/one and its chmod copy (its whiteout weighs 0, as in dive),
	// /data/two and its chmod copy; a snapshotter may copy one up once more.
	if eff := readChecks(t, metadata)[0].Efficiency; eff == nil || eff.WastedBytes < 4<<20 {
		t.Errorf("wasted bytes %+v, want at least 4 MiB", eff)
	}
	code, stdout, stderr = runCLI(t, dir, "check", "--addr", addr, "--progress", "quiet", "-f", "Dockerfile.tidy")
	if code != 0 {
		t.Errorf("tidy: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

func TestFailedCheckPublishesNothing(t *testing.T) {
	p := newPublishEnv(t)
	before := p.published(t)
	gate := appConfig + "    checks:\n      metadata:\n        user: root\n"
	if err := os.WriteFile(filepath.Join(p.dir, "build.yaml"), []byte(gate), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := p.build(t, "--build-arg", "STAMP=5")
	if code != 1 || !strings.Contains(stderr, "target other: 1 checks failed") || !strings.Contains(stderr, "nothing published") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	assertUnchanged(t, p, before)
}

// TestCheckedRebuildPublishes: a target with checks, rebuilt after an edit
// from its published cache, publishes the image it checked. The checks'
// OCI layout and the pushed image came from one solve, whose merged
// exporter response then named the layout's manifest, never pushed: the
// commit failed with MANIFEST_UNKNOWN (seen with examples/npm-cache).
func TestCheckedRebuildPublishes(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("cp", "-r", filepath.Join("..", "..", "examples", "npm-cache")+"/.", dir).CombinedOutput(); err != nil {
		t.Fatalf("copy the example: %v\n%s", err, out)
	}
	repo, addr := testenv.Repo(t), testenv.NewDaemon(t).Addr
	build := func() {
		t.Helper()
		code, stdout, stderr := runCLI(t, dir, "build", "--addr", addr, "--repository", repo, "--push", "--progress", "quiet")
		if code != 0 {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
	}
	build()
	f, err := os.OpenFile(filepath.Join(dir, "packages", "store", "index.js"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "// edited")
	f.Close()
	before := testenv.Tags(t, repo)["latest"]
	build()
	if after := testenv.Tags(t, repo)["latest"]; after == before {
		t.Errorf("latest did not move after the edit (%s)", after)
	}
}
