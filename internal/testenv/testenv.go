// Package testenv gives tests the real BuildKit daemon and registry of
// internal/devenv: started (or reused) once per test binary, torn down at exit
// by the last test binary using an environment that tests started. An
// environment from `make dev-up` is reused and left running.
//
// Tests that need it fail with the reason when it cannot start; they never
// skip, except under -short.
package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cairn-build/cairn/internal/devenv"
)

// shared is the one environment of this test binary. It is package state
// because testing.M and *testing.T have nowhere else to keep it.
var shared struct {
	once    sync.Once
	env     *devenv.Env
	err     error
	binDir  string
	release func() // drops this binary's shared hold on the environment
}

// Main runs the package's tests and stops, at exit, an environment that
// tests started once no other test binary holds it. Use it as TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if err := teardown(); err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
	}
	os.Exit(code)
}

// Get returns the running environment, starting it on first use.
func Get(t testing.TB) *devenv.Env {
	t.Helper()
	if testing.Short() {
		t.Skip("needs buildkitd and a registry: not run with -short")
	}
	shared.once.Do(func() { shared.env, shared.err = start() })
	if shared.err != nil {
		t.Fatalf("test environment: %v", shared.err)
	}
	return shared.env
}

// Paths returns the state and binary directories tests use:
// $CAIRN_DEV_DIR and $CAIRN_BIN_DIR, else .cairn-dev and bin at the repository root.
func Paths() (dir, binDir string, err error) {
	root, err := repoRoot()
	if err != nil {
		return "", "", err
	}
	dir, binDir = os.Getenv("CAIRN_DEV_DIR"), os.Getenv("CAIRN_BIN_DIR")
	if dir == "" {
		dir = filepath.Join(root, ".cairn-dev")
	}
	if binDir == "" {
		binDir = filepath.Join(root, "bin")
	}
	return dir, binDir, nil
}

func start() (*devenv.Env, error) {
	dir, binDir, err := Paths()
	if err != nil {
		return nil, err
	}
	shared.binDir = binDir // tests may chdir later
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	// Hold before Up, so a finishing binary cannot stop what this one is about to use.
	users, err := os.OpenFile(filepath.Join(dir, "users.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(users.Fd()), syscall.LOCK_SH); err != nil {
		users.Close()
		return nil, fmt.Errorf("lock users: %w", err)
	}
	shared.release = func() { users.Close() }
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	return devenv.Up(ctx, devenv.Options{Dir: dir, BinDir: binDir, Owner: devenv.OwnerTest})
}

func teardown() error {
	if shared.release == nil {
		return nil
	}
	shared.release()
	if shared.env == nil {
		return nil // it never started
	}
	dir := shared.env.Dir
	users, err := os.OpenFile(filepath.Join(dir, "users.lock"), os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer users.Close()
	if syscall.Flock(int(users.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return nil // another test binary still uses it; the last one stops it
	}
	env, err := devenv.Load(dir)
	if err != nil || env.Owner != devenv.OwnerTest {
		return nil
	}
	return devenv.Down(dir)
}

// repoRoot walks up from the working directory to cairn's module root.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "hack", "tools", "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cairn's repository root not found above the working directory (set CAIRN_DEV_DIR and CAIRN_BIN_DIR)")
		}
		dir = parent
	}
}

// DaemonOption configures a daemon NewDaemon starts.
type DaemonOption func(*devenv.DaemonOptions)

// MaxParallelism caps the build steps the daemon runs at once.
func MaxParallelism(n int) DaemonOption {
	return func(o *devenv.DaemonOptions) { o.MaxParallelism = n }
}

// Platforms makes the daemon's worker declare platforms (e.g. "linux/arm64")
// before the host's.
func Platforms(platforms ...string) DaemonOption {
	return func(o *devenv.DaemonOptions) { o.Platforms = platforms }
}

// NewDaemon starts a buildkitd with an empty root, as a fresh CI runner has,
// using the shared registry. Each has its own root and socket, so a test can
// run several. When t ends it is stopped and its root removed; a mount left
// under the root fails the test.
func NewDaemon(t testing.TB, opts ...DaemonOption) *devenv.Daemon {
	t.Helper()
	env := Get(t)
	dir, err := os.MkdirTemp(env.Dir, "fresh-buildkit-")
	if err != nil {
		t.Fatal(err)
	}
	// Registered first, so it runs last: after the daemon is stopped, and
	// also when it never started.
	t.Cleanup(func() { removeRoot(t, dir) })
	o := devenv.DaemonOptions{}
	for _, opt := range opts {
		opt(&o)
	}
	o.Root, o.BinDir, o.Registry = filepath.Join(dir, "root"), shared.binDir, env.Registry
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, err := devenv.StartDaemon(ctx, o)
	if err != nil {
		t.Fatalf("fresh buildkitd: %v", err)
	}
	t.Cleanup(func() {
		if err := d.Stop(); err != nil {
			t.Errorf("fresh buildkitd: %v", err)
		}
	})
	return d
}

// removeRoot removes a fresh daemon's directory, failing t if anything is
// still mounted under it: the next `make clean` would fail on it.
func removeRoot(t testing.TB, dir string) {
	mounts, err := devenv.MountsUnder(dir)
	if err != nil {
		t.Errorf("list mounts under %s: %v", dir, err)
	} else if len(mounts) > 0 {
		t.Errorf("still mounted under %s: %v", dir, mounts)
		return // removing would fail on, or descend into, the mounts
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Errorf("remove %s: %v", dir, err)
	}
}

// OnePerDaemon checks that stages ran each on a daemon of its own, the
// daemons named: builders maps a stage to the daemon that built it, as a
// pool's result or report says.
func OnePerDaemon(t testing.TB, builders map[string]string, stages, daemons []string) {
	t.Helper()
	var ran []string
	for _, s := range stages {
		ran = append(ran, builders[s])
	}
	slices.Sort(ran)
	if want := slices.Sorted(slices.Values(daemons)); !slices.Equal(ran, want) {
		t.Errorf("stages %v ran on %v, want each on its own of %v", stages, builders, daemons)
	}
}
