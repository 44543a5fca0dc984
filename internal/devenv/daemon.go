package devenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
}

// Daemon is a running buildkitd.
type Daemon struct {
	Addr string
	PID  int
}

// Stop ends the daemon; its root stays on disk.
func (d *Daemon) Stop() { stopProcess(d.PID) }

// StartDaemon starts a rootful buildkitd with the OCI worker (runc) whose
// docker.io pulls go to opts.Registry, and waits until it lists a worker.
func StartDaemon(ctx context.Context, opts DaemonOptions) (*Daemon, error) {
	if err := os.MkdirAll(opts.Root, 0o700); err != nil {
		return nil, fmt.Errorf("create buildkitd root: %w", err)
	}
	sock, err := socketPath(opts.Root)
	if err != nil {
		return nil, err
	}
	_ = os.Remove(sock) // a socket left by a killed daemon blocks the listen
	addr := "unix://" + sock
	configPath := opts.Root + ".toml"
	if err := os.WriteFile(configPath, []byte(daemonConfig(opts.Root, addr, opts.Registry)), 0o644); err != nil {
		return nil, fmt.Errorf("write buildkitd config: %w", err)
	}
	logPath := opts.Root + ".log"
	pid, err := startDetached(filepath.Join(opts.BinDir, "buildkitd"), []string{"--config", configPath}, logPath)
	if err != nil {
		return nil, err
	}
	ready := func(ctx context.Context) error { return daemonReady(ctx, addr) }
	if err := waitReady(ctx, pid, 60*time.Second, ready); err != nil {
		stopProcess(pid)
		return nil, fmt.Errorf("buildkitd at %s: %w\n%s", addr, err, tail(logPath, 4096))
	}
	return &Daemon{Addr: addr, PID: pid}, nil
}

func daemonConfig(root, addr, registry string) string {
	return fmt.Sprintf(`root = %q

[grpc]
  address = [%q]

[worker.oci]
  enabled = true
  gc = false

[worker.containerd]
  enabled = false

[registry."docker.io"]
  mirrors = [%q]

[registry.%q]
  http = true
`, root, addr, registry, registry)
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
// the root when it fits (a deep CI checkout may not), else in /tmp.
func socketPath(root string) (string, error) {
	sock := root + ".sock"
	if len(sock) < 100 {
		return sock, nil
	}
	sum := sha256.Sum256([]byte(root))
	dir := filepath.Join(os.TempDir(), "cairn-"+hex.EncodeToString(sum[:6]))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create socket dir: %w", err)
	}
	return filepath.Join(dir, "buildkitd.sock"), nil
}
