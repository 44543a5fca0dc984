package testenv_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"

	"github.com/cairn-build/cairn/internal/devenv"
	"github.com/cairn-build/cairn/internal/testenv"
)

const busybox = "docker.io/" + devenv.BusyboxRef

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
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
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
