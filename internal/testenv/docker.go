package testenv

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cairn-build/cairn/internal/devenv"
)

// Dockerd starts a Docker engine of t's own, its state in a directory of
// the environment's, and points DOCKER_HOST at it for the rest of t: the
// docker CLI in PATH (a newer client negotiates the engine's API version)
// and cairn's --load reach it, not the host's engine. When t ends it is
// stopped and its directory removed; a mount left under it fails t.
func Dockerd(t *testing.T) *devenv.Dockerd {
	t.Helper()
	env := Get(t)
	if _, err := exec.LookPath("docker"); err != nil {
		t.Fatal("no docker CLI in PATH: install Debian's docker.io (`make deps` does, as root)")
	}
	dir, err := os.MkdirTemp(env.Dir, "dockerd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeRoot(t, dir) })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, err := devenv.StartDockerd(ctx, dir)
	if err != nil {
		t.Fatalf("dockerd: %v", err)
	}
	t.Cleanup(func() {
		if err := d.Stop(); err != nil {
			t.Errorf("dockerd: %v", err)
		}
	})
	t.Setenv("DOCKER_HOST", d.Host)
	t.Logf("dockerd %s at %s", d.Version, d.Host)
	return d
}

// Docker runs the docker CLI against t's engine (Dockerd) and returns its
// output, failing t when it fails.
func Docker(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
