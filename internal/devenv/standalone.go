package devenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// RegistryOptions configure a registry StartRegistry runs.
type RegistryOptions struct {
	// Dir holds its config, log and storage; it must exist.
	Dir string
	// BinDir holds the registry binary.
	BinDir string
	// Logins are the users (name → password) of htpasswd auth: with any,
	// every request needs a login. None runs the registry open.
	Logins map[string]string
	// StorageBytes puts the registry's storage on a tmpfs of that size, a
	// disk that fills; 0 keeps it under Dir.
	StorageBytes int64
}

// Registry is a distribution registry of its own, on loopback, beside the
// environment's: with logins, or with a small disk.
type Registry struct {
	Addr    string // host:port
	storage string
	tmpfs   bool
	pid     int
	log     string
}

// StartRegistry runs a distribution registry on a free loopback port until
// Stop, and waits until it answers.
func StartRegistry(ctx context.Context, opts RegistryOptions) (r *Registry, err error) {
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	r = &Registry{Addr: addr, storage: filepath.Join(opts.Dir, "data")}
	if err := os.MkdirAll(r.storage, 0o755); err != nil {
		return nil, fmt.Errorf("create registry storage: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, r.Stop())
		}
	}()
	if opts.StorageBytes > 0 {
		if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", opts.StorageBytes), "tmpfs", r.storage).CombinedOutput(); err != nil {
			return r, fmt.Errorf("a tmpfs for the registry's storage (needs root): %w: %s", err, out)
		}
		r.tmpfs = true
	}
	config := fmt.Sprintf("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n", r.storage, addr)
	if len(opts.Logins) > 0 {
		path, err := writeHtpasswd(opts.Dir, opts.Logins)
		if err != nil {
			return r, err
		}
		config += fmt.Sprintf("auth:\n  htpasswd:\n    realm: cairn-test\n    path: %s\n", path)
	}
	configPath := filepath.Join(opts.Dir, "config.yml")
	if err := os.WriteFile(configPath, []byte(config), 0o600); err != nil {
		return r, fmt.Errorf("write registry config: %w", err)
	}
	logPath := filepath.Join(opts.Dir, "registry.log")
	r.log = logPath
	if r.pid, err = startDetached(filepath.Join(opts.BinDir, "registry"), []string{"serve", configPath}, nil, logPath); err != nil {
		return r, err
	}
	ready := func(ctx context.Context) error { return answers(ctx, addr) }
	if err := waitReady(ctx, r.pid, 30*time.Second, ready); err != nil {
		return r, fmt.Errorf("registry on %s: %w\n%s", addr, err, tail(logPath, 2048))
	}
	return r, nil
}

// answers checks the registry answers /v2/, with or without a login.
func answers(ctx context.Context, addr string) error {
	err := registryReady(ctx, addr)
	if err != nil && strings.Contains(err.Error(), "401") {
		return nil
	}
	return err
}

// Log is what the registry wrote to its log so far.
func (r *Registry) Log() string {
	data, _ := os.ReadFile(r.log)
	return string(data)
}

// Stop ends the registry and unmounts its tmpfs; the storage under Dir stays.
func (r *Registry) Stop() error {
	err := stopProcess(r.pid)
	if r.tmpfs {
		if out, uerr := exec.Command("umount", r.storage).CombinedOutput(); uerr != nil {
			err = errors.Join(err, fmt.Errorf("unmount the registry's tmpfs: %w: %s", uerr, out))
		} else {
			r.tmpfs = false
		}
	}
	return err
}

// Resize changes the size of the registry's tmpfs: a disk fills, or space
// is freed. It cannot shrink below what is stored.
func (r *Registry) Resize(bytes int64) error {
	if out, err := exec.Command("mount", "-o", fmt.Sprintf("remount,size=%d", bytes), r.storage).CombinedOutput(); err != nil {
		return fmt.Errorf("resize the registry's tmpfs: %w: %s", err, out)
	}
	return nil
}

// Used is how many bytes the registry's storage holds.
func (r *Registry) Used() (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(r.storage, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", r.storage, err)
	}
	return int64(st.Blocks-st.Bfree) * st.Bsize, nil
}

func writeHtpasswd(dir string, logins map[string]string) (string, error) {
	var lines strings.Builder
	for user, password := range logins {
		hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&lines, "%s:%s\n", user, hash)
	}
	path := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(path, []byte(lines.String()), 0o600); err != nil {
		return "", err
	}
	return path, nil
}
