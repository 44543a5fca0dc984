// Package devenv runs the local environment cairn is developed and tested
// against: a distribution registry on loopback, a rootful buildkitd (OCI worker,
// runc) that mirrors docker.io to that registry, and base images seeded into it
// so unmodified Dockerfiles (FROM busybox:1.36, FROM golang:1.26) build offline.
//
// The state lives in one directory (.cairn-dev by default). Up is idempotent:
// it reuses daemons that answer and starts the ones that do not.
package devenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Owner says who started an environment; tests only tear down their own.
type Owner string

const (
	// OwnerDev is an environment started by `make dev-up`.
	OwnerDev Owner = "dev"
	// OwnerTest is an environment started by a test binary.
	OwnerTest Owner = "test"
)

// Env is a running environment.
type Env struct {
	Dir          string `json:"dir"`
	Registry     string `json:"registry"`     // host:port of the registry, on loopback
	BuildkitHost string `json:"buildkitHost"` // unix:// address of buildkitd
	RegistryPID  int    `json:"registryPid"`
	BuildkitPID  int    `json:"buildkitdPid"`
	Owner        Owner  `json:"owner"`
	// Reused is true when Up found the daemons already running.
	Reused bool `json:"-"`
}

// Options configure Up.
type Options struct {
	// Dir holds all state: registry storage, buildkitd root, logs, sockets.
	Dir string
	// BinDir holds buildkitd and registry (built by `make tools`).
	BinDir string
	// Owner is recorded in the state file for a started environment.
	Owner Owner
	// Log receives progress lines; nil discards them.
	Log func(format string, args ...any)
}

func (o *Options) logf(format string, args ...any) {
	if o.Log != nil {
		o.Log(format, args...)
	}
}

const stateFile = "env.json"

// Up returns the running environment under opts.Dir, starting what is missing.
func Up(ctx context.Context, opts Options) (*Env, error) {
	if err := preflight(opts); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", opts.Dir, err)
	}
	unlock, err := lockFile(filepath.Join(opts.Dir, "up.lock"), syscall.LOCK_EX)
	if err != nil {
		return nil, err
	}
	defer unlock()

	if env, err := Load(opts.Dir); err == nil && env.healthy(ctx) {
		env.Reused = true
		if err := seed(ctx, env.Registry, opts); err != nil {
			return nil, err
		}
		return env, nil
	} else if err == nil {
		// Stale: a daemon died. Restart both for a known state.
		if err := env.stop(); err != nil {
			return nil, fmt.Errorf("stop the stale environment: %w", err)
		}
	}

	env := &Env{Dir: opts.Dir, Owner: opts.Owner}
	reg, err := startRegistry(ctx, opts)
	if err != nil {
		return nil, err
	}
	env.Registry, env.RegistryPID = reg.addr, reg.pid
	d, err := StartDaemon(ctx, DaemonOptions{
		Root:     env.buildkitRoot(),
		BinDir:   opts.BinDir,
		Registry: env.Registry,
	})
	if err != nil {
		return nil, errors.Join(err, env.stop())
	}
	env.BuildkitHost, env.BuildkitPID = d.Addr, d.PID
	opts.logf("buildkitd ready at %s", env.BuildkitHost)
	if err := seed(ctx, env.Registry, opts); err != nil {
		return nil, errors.Join(err, env.stop())
	}
	if err := env.save(); err != nil {
		return nil, errors.Join(err, env.stop())
	}
	return env, nil
}

// Down stops the environment under dir, and the build containers and mounts
// its buildkitd left. Its registry storage and buildkitd state stay, so the
// next Up is warm. It is not an error if nothing runs.
func Down(dir string) error {
	env, err := Load(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := env.stop(); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(dir, stateFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove state: %w", err)
	}
	return nil
}

// Load reads the state file of the environment under dir.
func Load(dir string) (*Env, error) {
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return nil, err
	}
	var env Env
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, stateFile), err)
	}
	return &env, nil
}

func (e *Env) save() error {
	data, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(e.Dir, stateFile), append(data, '\n'), 0o644)
}

func (e *Env) healthy(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return alive(e.RegistryPID) && alive(e.BuildkitPID) &&
		registryReady(ctx, e.Registry) == nil && daemonReady(ctx, e.BuildkitHost) == nil
}

func (e *Env) stop() error {
	return errors.Join(stopDaemon(e.BuildkitPID, e.buildkitRoot()), stopProcess(e.RegistryPID))
}

// buildkitRoot is the state directory of the environment's buildkitd.
func (e *Env) buildkitRoot() string { return filepath.Join(e.Dir, "buildkit") }

// preflight reports, before anything starts, what this machine lacks.
func preflight(opts Options) error {
	if os.Geteuid() != 0 {
		return errors.New("buildkitd with the OCI worker runs as root here: run as root (sudo make dev-up)")
	}
	for _, bin := range []string{"buildkitd", "registry"} {
		if _, err := os.Stat(filepath.Join(opts.BinDir, bin)); err != nil {
			return fmt.Errorf("%s not found in %s: run `make tools` first", bin, opts.BinDir)
		}
	}
	if _, err := exec.LookPath("runc"); err != nil {
		return errors.New("runc not found in PATH: install it (apt-get install runc, or `make tools`)")
	}
	return nil
}
