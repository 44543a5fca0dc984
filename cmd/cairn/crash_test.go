package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cairn-build/cairn/internal/faultproxy"
	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/push"
	"github.com/cairn-build/cairn/pkg/registry"
)

// buildCairn builds the cairn binary, to run as a process a test can kill.
func buildCairn(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "cairn")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is cairn running as a subprocess.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{}
	mu     sync.Mutex
	stderr bytes.Buffer
	lines  chan string // stderr, line by line
	err    error       // Wait's, once exited
}

func start(t *testing.T, bin, dir string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, args...), exited: make(chan struct{}), lines: make(chan string, 1000)}
	p.cmd.Dir = dir
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); <-p.exited })
	go func() {
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			p.mu.Lock()
			p.stderr.WriteString(s.Text() + "\n")
			p.mu.Unlock()
			select {
			case p.lines <- s.Text():
			default:
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	return p
}

func (p *process) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// wait waits for the process to exit and returns its exit code.
func (p *process) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(5 * time.Minute):
		t.Fatalf("cairn did not exit:\n%s", p.output())
	}
	return p.cmd.ProcessState.ExitCode()
}

// await returns when a stderr line contains s.
func (p *process) await(t *testing.T, s string) {
	t.Helper()
	timeout := time.After(5 * time.Minute)
	for {
		select {
		case line := <-p.lines:
			if strings.Contains(line, s) {
				return
			}
		case <-p.exited:
			t.Fatalf("cairn exited (%v) before printing %q:\n%s", p.err, s, p.output())
		case <-timeout:
			t.Fatalf("cairn did not print %q:\n%s", s, p.output())
		}
	}
}

// killDuringCommit runs `cairn build --push` of a new build and kills it
// (SIGKILL) while its commit is held at the put of latest: its caches and
// the other final tags have moved. It returns the tags as the kill left them.
func killDuringCommit(t *testing.T, p *publishEnv, bin string, before map[string]string) map[string]string {
	t.Helper()
	hold := p.proxy.Hold(http.MethodPut, `/manifests/latest$`)
	c := start(t, bin, p.dir, "build", "--addr", p.addr, "--repository", p.proxied, "--push", "--progress", "quiet", "--build-arg", "STAMP=2")
	// v1's put runs beside latest's: let it land, so the kill falls between two final tags.
	killWhileHeld(t, c, hold, "latest", func() bool { return digest(t, p.repo+":v1") != before["v1"] })
	after := testenv.Tags(t, p.repo)
	if after["latest"] != before["latest"] || after["cache-app"] == before["cache-app"] {
		t.Fatalf("the kill did not land between two tag moves: before %v, after %v", before, after)
	}
	if state := recordState(t, p.repo); state != "moving" {
		t.Fatalf("the killed commit's record is %q, want moving", state)
	}
	return after
}

// killWhileHeld waits until c's commit reaches the held request (named
// what) and moved reports the tags meant to move before it did, then kills
// c. The request is dropped, not released: the proxy may not have seen the
// dead client's connection close yet, and would forward it for it (a flake
// under load).
func killWhileHeld(t *testing.T, c *process, hold *faultproxy.Hold, what string, moved func() bool) {
	t.Helper()
	select {
	case <-hold.Reached():
	case <-c.exited:
		t.Fatalf("cairn exited before its commit reached %s: %v\n%s", what, c.err, c.output())
	case <-time.After(5 * time.Minute):
		t.Fatalf("the commit never reached %s:\n%s", what, c.output())
	}
	deadline := time.Now().Add(30 * time.Second)
	for !moved() {
		if time.Now().After(deadline) {
			t.Fatalf("the tags before %s did not move while it was held", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c.wait(t)
	hold.Drop()
}

func digest(t *testing.T, ref string) string {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(r)
	if err != nil {
		t.Fatal(err)
	}
	return desc.Digest.String()
}

func recordState(t *testing.T, repo string) string {
	t.Helper()
	r, err := name.ParseReference(repo + ":" + push.RecordTag)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(r)
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Annotations map[string]string }
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	return m.Annotations[registry.Annotation(registry.KeyCommit+"state")]
}

// TestKilledCommitIsRolledBackByTheNextRun: cairn is killed during its
// commit, after some tags moved. The next publish puts every tag back before
// it does anything else (here its build fails, so it publishes nothing), and
// says so.
func TestKilledCommitIsRolledBackByTheNextRun(t *testing.T) {
	p := newPublishEnv(t) // first: it skips under -short
	bin := buildCairn(t)
	before := p.published(t)
	killDuringCommit(t, p, bin, before)

	code, _, stderr := p.build(t, "--build-arg", "FAIL=1", "--build-arg", "STAMP=3")
	if code != 1 || !strings.Contains(stderr, "nothing published") {
		t.Errorf("exit %d, want 1: the build fails; stderr:\n%s", code, stderr)
	}
	for _, want := range []string{
		"note: rolled back the unfinished commit to " + p.proxied + " by pid ",
		"  " + p.proxied + ":v1: restored to " + before["v1"],
		"  " + p.proxied + ":cache-app: restored to " + before["cache-app"],
		"  " + p.proxied + ":latest: already at its previous digest",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if note, failure := strings.Index(stderr, "note: rolled back"), strings.Index(stderr, "stage app"); note < 0 || failure < note {
		t.Errorf("the roll back is not reported before the build:\n%s", stderr)
	}
	assertUnchanged(t, p, before)
	if state := recordState(t, p.repo); state != "done" {
		t.Errorf("record %q after the roll back, want done", state)
	}
}

// TestRecoverCommand: `cairn recover` alone rolls back a killed commit.
func TestRecoverCommand(t *testing.T) {
	p := newPublishEnv(t) // first: it skips under -short
	bin := buildCairn(t)
	before := p.published(t)
	killDuringCommit(t, p, bin, before)

	code, stdout, stderr := runCLI(t, p.dir, "recover", "--repository", p.proxied)
	if code != 0 {
		t.Fatalf("recover: exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"rolled back the unfinished commit to " + p.proxied,
		"  " + p.proxied + ":other: restored to " + before["other"],
		"  " + p.proxied + ":cache-base: restored to " + before["cache-base"],
		"  " + p.proxied + ":latest: already at its previous digest",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("recover's output lacks %q:\n%s", want, stdout)
		}
	}
	assertUnchanged(t, p, before)
	if code, stdout, _ := runCLI(t, p.dir, "recover", "--repository", p.proxied); code != 0 || stdout != "no unfinished commit\n" {
		t.Errorf("second recover: exit %d, %q; want nothing to do", code, stdout)
	}
}
