package testenv

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cairn-build/cairn/internal/devenv"
)

// RegistryOptions configure a registry StartRegistry runs.
type RegistryOptions struct {
	// Logins are the users (name → password) of htpasswd auth: with any,
	// every request needs a login. None runs the registry open.
	Logins map[string]string
	// StorageBytes puts the registry's storage on a tmpfs of that size, a
	// disk that fills; 0 keeps it on the test's temp dir.
	StorageBytes int64
}

// Registry is a distribution registry of a test's own, on loopback.
type Registry struct {
	Addr string // host:port
	r    *devenv.Registry
}

// StartRegistry runs a distribution registry (./bin/registry) on a free
// loopback port until t ends, for tests that need another registry than
// the shared one: with logins, or with a small disk.
func StartRegistry(t testing.TB, opts RegistryOptions) *Registry {
	t.Helper()
	if testing.Short() {
		t.Skip("needs ./bin/registry: not run with -short")
	}
	_, binDir, err := Paths()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := devenv.StartRegistry(ctx, devenv.RegistryOptions{Dir: t.TempDir(), BinDir: binDir, Logins: opts.Logins, StorageBytes: opts.StorageBytes})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Stop(); err != nil {
			t.Error(err)
		}
	})
	return &Registry{Addr: r.Addr, r: r}
}

// Log is what the registry wrote to its log so far.
func (r *Registry) Log() string { return r.r.Log() }

// Resize changes the size of the registry's tmpfs: a test frees space.
func (r *Registry) Resize(t testing.TB, bytes int64) {
	t.Helper()
	if err := r.r.Resize(bytes); err != nil {
		t.Fatal(err)
	}
}

// DockerLogin points the docker keychain (DOCKER_CONFIG, HOME) for the rest
// of t at a config holding one login for host, as `docker login` writes it.
func DockerLogin(t testing.TB, host, user, password string) {
	t.Helper()
	home := t.TempDir()
	dir := filepath.Join(home, ".docker")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	config := "{}"
	if user != "" {
		login := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
		config = fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, host, login)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	t.Setenv("DOCKER_CONFIG", dir)
}
