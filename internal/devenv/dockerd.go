package devenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Dockerd is a running Docker engine whose state is all under Dir: what
// `cairn build --load` loads into, and `docker run` runs.
type Dockerd struct {
	// Host is the engine's address for DOCKER_HOST: unix://DIR/docker.sock.
	Host string
	PID  int
	Dir  string
	// Version is the engine's, from its /version.
	Version string

	execRoot string
	stopOnce sync.Once
	stopErr  error
}

// dockerdBin is Debian's engine (the docker.io package); a docker CLI
// elsewhere in PATH (/usr/local/bin/docker) is only a client.
func dockerdBin() (string, error) {
	bin, err := exec.LookPath("dockerd")
	if err != nil {
		return "", errors.New("dockerd not found in PATH: install Debian's docker.io (`make deps` does, as root)")
	}
	return bin, nil
}

// StartDockerd starts dockerd with its data, exec root, socket and pid file
// under dir, changing nothing on the host: no iptables rules, no bridge, no
// /etc/docker/daemon.json. It waits until the engine answers /_ping.
func StartDockerd(ctx context.Context, dir string) (*Dockerd, error) {
	bin, err := dockerdBin()
	if err != nil {
		return nil, err
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create dockerd dir: %w", err)
	}
	sock, sockDir := socketPath(filepath.Join(dir, "docker"))
	execRoot := shortDir(filepath.Join(dir, "exec"), len("/containerd/containerd.sock.ttrpc"))
	for _, d := range []string{sockDir, execRoot} {
		if d != "" {
			if err := os.MkdirAll(d, 0o700); err != nil {
				return nil, fmt.Errorf("create %s: %w", d, err)
			}
		}
	}
	config := filepath.Join(dir, "daemon.json")
	if err := os.WriteFile(config, []byte("{}\n"), 0o644); err != nil {
		return nil, fmt.Errorf("write dockerd config: %w", err)
	}
	_ = os.Remove(sock)
	args := []string{
		"--config-file", config, "--host", "unix://" + sock,
		"--data-root", filepath.Join(dir, "root"), "--exec-root", execRoot,
		"--pidfile", filepath.Join(dir, "docker.pid"),
		"--iptables=false", "--ip6tables=false", "--bridge=none",
	}
	logPath := filepath.Join(dir, "dockerd.log")
	pid, err := startDetached(bin, args, nil, logPath)
	if err != nil {
		return nil, err
	}
	d := &Dockerd{Host: "unix://" + sock, PID: pid, Dir: dir, execRoot: execRoot}
	ready := func(ctx context.Context) error {
		v, err := engineVersion(ctx, sock)
		d.Version = v
		return err
	}
	if err := waitReady(ctx, pid, 60*time.Second, ready); err != nil {
		err = fmt.Errorf("dockerd at %s: %w\n%s", d.Host, err, tail(logPath, 4096))
		return nil, errors.Join(err, d.Stop())
	}
	return d, nil
}

// Stop ends dockerd (and the containerd it runs), then unmounts what it
// left under its directories. The state stays on disk. Calls after the
// first return its error.
func (d *Dockerd) Stop() error {
	d.stopOnce.Do(func() {
		err := stopProcess(d.PID)
		sock := strings.TrimPrefix(d.Host, "unix://")
		_ = os.Remove(sock)
		if dir := filepath.Dir(sock); dir != d.Dir {
			_ = os.RemoveAll(dir)
		}
		errs := []error{err, release(d.Dir)}
		if !under(d.execRoot, d.Dir) {
			errs = append(errs, release(d.execRoot), os.RemoveAll(d.execRoot))
		}
		if d.stopErr = errors.Join(errs...); d.stopErr != nil {
			d.stopErr = fmt.Errorf("stop dockerd: %w", d.stopErr)
		}
	})
	return d.stopErr
}

// engineVersion asks the engine on sock for its version (GET /version),
// which also says it answers.
func engineVersion(ctx context.Context, sock string) (string, error) {
	c := http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker/version", nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET /version: %s", resp.Status)
	}
	var v struct{ Version string }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return "", fmt.Errorf("GET /version: %w", err)
	}
	return v.Version, nil
}

// shortDir is dir, or a directory of the temp dir named for it when a path
// of suffix bytes under dir would pass the 108-byte unix socket limit.
func shortDir(dir string, suffix int) string {
	if len(dir)+suffix < 100 {
		return dir
	}
	return hashedTempDir(dir)
}
