package devenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/buildkit/client"
)

// DaemonOptions configure StartDaemon.
type DaemonOptions struct {
	// Root is buildkitd's state directory; a new, empty one is a fresh CI runner.
	Root string
	// BinDir holds buildkitd.
	BinDir string
	// Registry is the loopback registry docker.io is mirrored to, plain HTTP.
	Registry string
	// MaxParallelism caps the build steps the worker runs at once
	// ([worker.oci] max-parallelism); 0 leaves them uncapped.
	MaxParallelism int
	// Platforms are the platforms the worker declares ([worker.oci] platforms),
	// e.g. "linux/arm64"; ListWorkers reports them first, then the host's.
	// Empty declares the host's only.
	Platforms []string
}

// Daemon is a running buildkitd.
type Daemon struct {
	Addr string
	PID  int
	// Root is the daemon's state directory, absolute.
	Root string

	stopOnce sync.Once
	stopErr  error
}

// Stop ends the daemon, then stops the build containers it left running and
// unmounts what it left mounted under its root, so the root can be removed.
// The root stays on disk. Stop may be called more than once, concurrently;
// every call returns when the first is done, with its error.
//
// It takes no context: it runs in cleanups, whose context is often already
// canceled, and bounds its own waits.
func (d *Daemon) Stop() error {
	d.stopOnce.Do(func() { d.stopErr = stopDaemon(d.PID, d.Root) })
	return d.stopErr
}

// stopDaemon stops the buildkitd pid whose state is under root and releases
// what it left there.
func stopDaemon(pid int, root string) error {
	if err := stopProcess(pid); err != nil {
		return fmt.Errorf("stop buildkitd: %w", err)
	}
	removeSocket(root)
	if err := release(root); err != nil {
		return fmt.Errorf("buildkitd stopped, but: %w", err)
	}
	return nil
}

// StartDaemon starts a rootful buildkitd with the OCI worker (runc) whose
// docker.io pulls go to opts.Registry, and waits until it lists a worker.
func StartDaemon(ctx context.Context, opts DaemonOptions) (*Daemon, error) {
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, fmt.Errorf("buildkitd root: %w", err)
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("create buildkitd root: %w", err)
	}
	sock, err := makeSocketDir(root)
	if err != nil {
		return nil, err
	}
	_ = os.Remove(sock) // a socket left by a killed daemon blocks the listen
	addr := "unix://" + sock
	opts.Root = root
	configPath := root + ".toml"
	if err := os.WriteFile(configPath, []byte(daemonConfig(opts, addr)), 0o644); err != nil {
		return nil, fmt.Errorf("write buildkitd config: %w", err)
	}
	// BuildKit mounts snapshots on temporary directories (buildkit-mount*);
	// under the root, one a dying daemon leaves mounted is released with
	// the rest instead of staying in /tmp.
	tmp := filepath.Join(root, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("create buildkitd temp dir: %w", err)
	}
	logPath := root + ".log"
	pid, err := startDetached(filepath.Join(opts.BinDir, "buildkitd"), []string{"--config", configPath}, []string{"TMPDIR=" + tmp}, logPath)
	if err != nil {
		return nil, err
	}
	ready := func(ctx context.Context) error { return daemonReady(ctx, addr) }
	if err := waitReady(ctx, pid, 60*time.Second, ready); err != nil {
		err = fmt.Errorf("buildkitd at %s: %w\n%s", addr, err, tail(logPath, 4096))
		return nil, errors.Join(err, stopDaemon(pid, root))
	}
	return &Daemon{Addr: addr, PID: pid, Root: root}, nil
}

// daemonConfig is buildkitd's TOML config for opts, listening on addr.
func daemonConfig(opts DaemonOptions, addr string) string {
	var worker strings.Builder
	if opts.MaxParallelism > 0 {
		fmt.Fprintf(&worker, "  max-parallelism = %d\n", opts.MaxParallelism)
	}
	if len(opts.Platforms) > 0 {
		quoted := make([]string, len(opts.Platforms))
		for i, p := range opts.Platforms {
			quoted[i] = strconv.Quote(p)
		}
		fmt.Fprintf(&worker, "  platforms = [%s]\n", strings.Join(quoted, ", "))
	}
	return fmt.Sprintf(`root = %q

[grpc]
  address = [%q]

[worker.oci]
  enabled = true
  gc = false
%s
[worker.containerd]
  enabled = false

[registry."docker.io"]
  mirrors = [%q]

[registry.%q]
  http = true
`, opts.Root, addr, worker.String(), opts.Registry, opts.Registry)
}

// daemonReady checks the daemon answers and has a worker to build on.
func daemonReady(ctx context.Context, addr string) error {
	c, err := client.New(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	workers, err := c.ListWorkers(ctx)
	if err != nil {
		return err
	}
	if len(workers) == 0 {
		return errors.New("no workers")
	}
	return nil
}

// socketPath keeps the unix socket under the 108-byte sun_path limit: beside
// the root when it fits (a deep CI checkout may not), else in a directory of
// the temp dir named for the root, which tmpDir returns ("" when beside).
func socketPath(root string) (sock, tmpDir string) {
	if sock := root + ".sock"; len(sock) < 100 {
		return sock, ""
	}
	tmpDir = hashedTempDir(root)
	return filepath.Join(tmpDir, "buildkitd.sock"), tmpDir
}

// hashedTempDir is a short directory of the temp dir named for path.
func hashedTempDir(path string) string {
	sum := sha256.Sum256([]byte(path))
	return filepath.Join(os.TempDir(), "cairn-"+hex.EncodeToString(sum[:6]))
}

// makeSocketDir returns the socket path for root, creating its directory.
func makeSocketDir(root string) (string, error) {
	sock, tmpDir := socketPath(root)
	if tmpDir != "" {
		if err := os.MkdirAll(tmpDir, 0o700); err != nil {
			return "", fmt.Errorf("create socket dir: %w", err)
		}
	}
	return sock, nil
}

// removeSocket removes a stopped daemon's socket, and its directory in the
// temp dir if it has one.
func removeSocket(root string) {
	sock, tmpDir := socketPath(root)
	_ = os.Remove(sock)
	if tmpDir != "" {
		_ = os.RemoveAll(tmpDir)
	}
}
