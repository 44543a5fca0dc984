package testenv_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"

	"github.com/cairn-build/cairn/internal/devenv"
	"github.com/cairn-build/cairn/internal/testenv"
)

const busybox = "docker.io/" + devenv.BusyboxRef

// TestDaemonsDeclarePlatformsAndParallelism runs three fresh daemons beside
// the one registry, each declaring its own platform with max-parallelism 1.
// Each must report its platform first in ListWorkers, and run two
// independent RUN steps one after the other: BuildKit does not report the
// parallelism setting, so the steps show it.
func TestDaemonsDeclarePlatformsAndParallelism(t *testing.T) {
	declared := []string{"linux/arm64", "linux/arm/v7", "linux/s390x"}
	daemons := make([]*devenv.Daemon, len(declared))
	for i, p := range declared {
		daemons[i] = testenv.NewDaemon(t, testenv.MaxParallelism(1), testenv.Platforms(p))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()

	ids := map[string]bool{}
	for i, d := range daemons {
		c, err := client.New(ctx, d.Addr)
		if err != nil {
			t.Fatal(err)
		}
		workers, err := c.ListWorkers(ctx)
		c.Close()
		if err != nil {
			t.Fatalf("%s: list workers: %v", d.Addr, err)
		}
		if len(workers) != 1 || len(workers[0].Platforms) == 0 {
			t.Fatalf("%s: workers %+v, want one with platforms", d.Addr, workers)
		}
		w := workers[0]
		if got := platforms.Format(w.Platforms[0]); got != declared[i] {
			t.Errorf("%s: first platform %s, want the declared %s (all: %v)", d.Addr, got, declared[i], w.Platforms)
		}
		if ids[w.ID] {
			t.Errorf("%s: worker %s also answers at another daemon's address", d.Addr, w.ID)
		}
		ids[w.ID] = true
	}

	for i, d := range daemons {
		t.Run(declared[i], func(t *testing.T) {
			t.Parallel()
			assertSerial(t, d.Addr)
		})
	}
}

// assertSerial builds two RUN steps that share a cache mount: each leaves a
// marker in it while it runs and lists the markers it sees. With one step at
// a time, neither sees the other's.
func assertSerial(t *testing.T, addr string) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cache := llb.AsPersistentCacheDir("parallelism", llb.CacheMountShared)
	step := func(name string) llb.State {
		return llb.Image(busybox).Run(
			llb.Shlexf(`sh -c 'touch /m/%[1]s && sleep 2 && ls /m > /seen-%[1]s && rm /m/%[1]s'`, name),
			llb.AddMount("/m", llb.Scratch(), cache),
		).Root()
	}
	out := llb.Scratch().File(llb.Copy(step("a"), "/seen-a", "/seen-a").Copy(step("b"), "/seen-b", "/seen-b"))
	dir := t.TempDir()
	solve(ctx, t, addr, out, client.SolveOpt{
		Exports: []client.ExportEntry{{Type: client.ExporterLocal, OutputDir: dir}},
	})
	for _, name := range []string{"a", "b"} {
		seen, err := os.ReadFile(filepath.Join(dir, "seen-"+name))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Fields(string(seen)); len(got) != 1 || got[0] != name {
			t.Errorf("step %s saw markers %q while it ran, want only its own: the steps ran at once", name, got)
		}
	}
}

func solve(ctx context.Context, t *testing.T, addr string, st llb.State, opt client.SolveOpt) {
	t.Helper()
	if err := trySolve(ctx, addr, st, opt); err != nil {
		t.Fatalf("solve on %s: %v", addr, err)
	}
}

func trySolve(ctx context.Context, addr string, st llb.State, opt client.SolveOpt) error {
	def, err := st.Marshal(ctx)
	if err != nil {
		return err
	}
	c, err := client.New(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	status := make(chan *client.SolveStatus)
	go func() {
		for range status {
		}
	}()
	_, err = c.Solve(ctx, def, opt, status)
	return err
}

// TestDaemonTempDirIsUnderRoot: the daemon's temporary mounts go under its
// root, which Stop releases, not into /tmp, where a killed daemon's would
// stay mounted.
func TestDaemonTempDirIsUnderRoot(t *testing.T) {
	d := testenv.NewDaemon(t)
	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", d.PID))
	if err != nil {
		t.Fatal(err)
	}
	var tmp string
	for _, kv := range strings.Split(string(environ), "\x00") {
		if v, ok := strings.CutPrefix(kv, "TMPDIR="); ok {
			tmp = v
		}
	}
	if !strings.HasPrefix(tmp, d.Root+string(filepath.Separator)) {
		t.Errorf("buildkitd TMPDIR %q: want a directory under its root %s", tmp, d.Root)
	}
}

// TestStopReleasesABuildInFlight stops a daemon while a RUN step runs, as
// a test that kills its daemon does. Stop must leave no runc container and
// no mount under the root, so the root can be removed.
func TestStopReleasesABuildInFlight(t *testing.T) {
	tests := []struct {
		name string
		kill func(d *devenv.Daemon) error // before Stop
	}{
		{"stopped", func(*devenv.Daemon) error { return nil }},
		{"killed", func(d *devenv.Daemon) error { return syscall.Kill(d.PID, syscall.SIGKILL) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := testenv.NewDaemon(t)
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
			defer cancel()
			built := make(chan error, 1)
			go func() {
				st := llb.Image(busybox).Run(llb.Shlex("sleep 600"), llb.IgnoreCache).Root()
				built <- trySolve(ctx, d.Addr, st, client.SolveOpt{})
			}()
			waitForContainer(ctx, t, d.Root)
			if mounts, err := devenv.MountsUnder(d.Root); err != nil || len(mounts) == 0 {
				t.Fatalf("no mount under the root while a step runs (%v): the test proves nothing", err)
			}

			if err := tt.kill(d); err != nil {
				t.Fatal(err)
			}
			if err := d.Stop(); err != nil {
				t.Fatalf("stop: %v", err)
			}
			if err := <-built; err == nil {
				t.Error("the build succeeded though its daemon stopped")
			}
			if left := runcContainers(t, d.Root); len(left) > 0 {
				t.Errorf("runc containers left: %v", left)
			}
			if mounts, err := devenv.MountsUnder(d.Root); err != nil || len(mounts) > 0 {
				t.Errorf("mounts left under the root: %v (%v)", mounts, err)
			}
			if err := os.RemoveAll(d.Root); err != nil {
				t.Errorf("remove the root: %v", err)
			}
		})
	}
}

// runcContainers lists the runc containers whose bundle is under root, as
// runc itself reports them.
func runcContainers(t *testing.T, root string) []string {
	t.Helper()
	out, err := exec.Command("runc", "list", "--format", "json").Output()
	if err != nil {
		t.Fatalf("runc list: %v", err)
	}
	var list []struct{ ID, Status, Bundle string }
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatal(err)
	}
	var mine []string
	for _, c := range list {
		if strings.HasPrefix(c.Bundle, root+"/") {
			mine = append(mine, c.ID+" "+c.Status)
		}
	}
	return mine
}

func waitForContainer(ctx context.Context, t *testing.T, root string) {
	t.Helper()
	for len(runcContainers(t, root)) == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("no runc container started under the daemon's root")
		case <-time.After(200 * time.Millisecond):
		}
	}
}
