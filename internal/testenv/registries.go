package testenv

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
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
	Addr    string // host:port
	storage string
	log     string
}

// Log is what the registry wrote to its log so far.
func (r *Registry) Log() string {
	data, _ := os.ReadFile(r.log)
	return string(data)
}

// StartRegistry runs a distribution registry (./bin/registry) on a free
// loopback port until t ends, for tests that need another registry than
// the shared one: with logins, or with a small disk.
func StartRegistry(t testing.TB, opts RegistryOptions) *Registry {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a registry: not run with -short")
	}
	_, binDir, err := Paths()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	r := &Registry{Addr: freeAddr(t), storage: filepath.Join(dir, "data")}
	if err := os.MkdirAll(r.storage, 0o755); err != nil {
		t.Fatal(err)
	}
	if opts.StorageBytes > 0 {
		r.mountTmpfs(t, opts.StorageBytes)
	}
	config := fmt.Sprintf("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n", r.storage, r.Addr)
	if len(opts.Logins) > 0 {
		config += fmt.Sprintf("auth:\n  htpasswd:\n    realm: cairn-test\n    path: %s\n", writeHtpasswd(t, dir, opts.Logins))
	}
	configPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(configPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "registry.log")
	r.log = logPath
	log, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd := exec.Command(filepath.Join(binDir, "registry"), "serve", configPath)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Registered after the tmpfs's unmount, so it runs before it.
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	waitRegistry(t, r.Addr, logPath)
	return r
}

// Resize changes the size of the registry's tmpfs: a test frees space.
func (r *Registry) Resize(t testing.TB, bytes int64) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", fmt.Sprintf("remount,size=%d", bytes), r.storage).CombinedOutput(); err != nil {
		t.Fatalf("resize the registry's tmpfs: %v: %s", err, out)
	}
}

func (r *Registry) mountTmpfs(t testing.TB, bytes int64) {
	t.Helper()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", bytes), "tmpfs", r.storage).CombinedOutput(); err != nil {
		t.Fatalf("a tmpfs for the registry's storage (needs root): %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", r.storage).CombinedOutput(); err != nil {
			t.Errorf("unmount the registry's tmpfs: %v: %s", err, out)
		}
	})
}

func writeHtpasswd(t testing.TB, dir string, logins map[string]string) string {
	t.Helper()
	var lines strings.Builder
	for user, password := range logins {
		hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&lines, "%s:%s\n", user, hash)
	}
	path := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(path, []byte(lines.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitRegistry waits until the registry answers /v2/ (with or without a login).
func waitRegistry(t testing.TB, addr, logPath string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return
			}
			t.Fatalf("registry on %s answers /v2/ with %s", addr, resp.Status)
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(logPath)
			t.Fatalf("registry on %s not ready: %v\n%s", addr, err, out)
		}
	}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
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
