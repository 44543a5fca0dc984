package devenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

type registryProc struct {
	addr string
	pid  int
}

// startRegistry runs `registry serve` on a free loopback port with storage under opts.Dir.
func startRegistry(ctx context.Context, opts Options) (*registryProc, error) {
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	storage := filepath.Join(opts.Dir, "registry")
	if err := os.MkdirAll(storage, 0o755); err != nil {
		return nil, fmt.Errorf("create registry storage: %w", err)
	}
	// Deletes are enabled so cairn's rollback can remove tags it created.
	config := fmt.Sprintf(`version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, storage, addr)
	configPath := filepath.Join(opts.Dir, "registry.yml")
	if err := os.WriteFile(configPath, []byte(config), 0o644); err != nil {
		return nil, fmt.Errorf("write registry config: %w", err)
	}
	logPath := filepath.Join(opts.Dir, "registry.log")
	pid, err := startDetached(filepath.Join(opts.BinDir, "registry"), []string{"serve", configPath}, nil, logPath)
	if err != nil {
		return nil, err
	}
	ready := func(ctx context.Context) error { return registryReady(ctx, addr) }
	if err := waitReady(ctx, pid, 30*time.Second, ready); err != nil {
		err = fmt.Errorf("registry on %s: %w\n%s", addr, err, tail(logPath, 2048))
		return nil, errors.Join(err, stopProcess(pid))
	}
	opts.logf("registry ready at %s", addr)
	return &registryProc{addr: addr, pid: pid}, nil
}

// registryReady checks the registry answers the OCI distribution base endpoint.
func registryReady(ctx context.Context, addr string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/v2/", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /v2/: %s", resp.Status)
	}
	return nil
}

func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}
