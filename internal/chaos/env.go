// Package chaos is a randomized fault campaign against cairn's publish: it
// runs cairn as a process, again and again, against a real buildkitd and a
// registry reached through a fault-injecting proxy, with faults drawn from
// a seeded random source (registry errors, resets and delays, a full disk,
// a killed daemon or cairn, concurrent publishers, revoked credentials),
// and after every run reads the registry to check what a release promises:
// all final tags from one build, every tag complete, a failed run leaves
// the release as it was, the next clean run succeeds, no secret printed.
package chaos

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cairn-build/cairn/internal/devenv"
	"github.com/cairn-build/cairn/internal/faultproxy"
)

// user is the login cairn publishes with.
const user = "chaos"

// storageBytes is the registry's tmpfs: room for hundreds of runs, shrunk
// to what it holds for a disk-full fault.
const storageBytes = 1 << 30

// env is a campaign's daemons: a docker.io mirror holding busybox, the
// registry cairn publishes to (with a login, on a small disk) behind a
// fault proxy, and a buildkitd.
type env struct {
	dir, binDir, cairn string
	mirror, registry   *devenv.Registry
	proxy              *faultproxy.Proxy
	daemon             *devenv.Daemon
	password, token    string // the login's password and the build secret: never to be printed
	project            string // the project's directory
	dockerConfig       string // DOCKER_CONFIG holding the login
}

// startEnv starts the daemons under dir, with cairn's binary at cairn.
func startEnv(ctx context.Context, dir, binDir, cairn string) (e *env, err error) {
	e = &env{dir: dir, binDir: binDir, cairn: cairn, password: secret(), token: secret()}
	defer func() {
		if err != nil {
			err = errors.Join(err, e.close())
		}
	}()
	if e.mirror, err = e.startRegistry(ctx, "mirror", devenv.RegistryOptions{}); err != nil {
		return e, err
	}
	if err := devenv.SeedBusybox(ctx, e.mirror.Addr); err != nil {
		return e, err
	}
	logins := map[string]string{user: e.password}
	if e.registry, err = e.startRegistry(ctx, "registry", devenv.RegistryOptions{Logins: logins, StorageBytes: storageBytes}); err != nil {
		return e, err
	}
	e.proxy = faultproxy.Start(e.registry.Addr)
	if err := e.startDaemon(ctx); err != nil {
		return e, err
	}
	if e.dockerConfig, err = writeDockerConfig(filepath.Join(dir, "docker"), e.proxy.Addr, user, e.password); err != nil {
		return e, err
	}
	e.project, err = writeProject(filepath.Join(dir, "project"), e.proxy.Addr)
	return e, err
}

func (e *env) startRegistry(ctx context.Context, name string, opts devenv.RegistryOptions) (*devenv.Registry, error) {
	opts.Dir, opts.BinDir = filepath.Join(e.dir, name), e.binDir
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, err
	}
	r, err := devenv.StartRegistry(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return r, nil
}

// startDaemon starts buildkitd on its root, kept between restarts: a
// daemon killed mid-solve comes back with its cache, as on a CI runner.
func (e *env) startDaemon(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	d, err := devenv.StartDaemon(ctx, devenv.DaemonOptions{Root: filepath.Join(e.dir, "buildkit"), BinDir: e.binDir, Registry: e.mirror.Addr})
	if err != nil {
		return fmt.Errorf("buildkitd: %w", err)
	}
	e.daemon = d
	return nil
}

// restartDaemon starts the daemon again (after it was killed, or got
// stuck), once the mounts it left are released. Stuck: BuildKit v0.33.1
// resolves a lazy cache import with a context that outlives the client
// (llbsolver.newLazyCacheManager, context.TODO), and the registry's auth
// (util/resolver dockerAuthorizer.Authorize) then asks the dead client's
// session for credentials once per auth fetcher the host has (one per
// session of the last 10 minutes), 5s each, holding the resolver's lock
// while the solver's scheduler waits: every build on the daemon stalls.
func (e *env) restartDaemon(ctx context.Context) error {
	return errors.Join(e.daemon.Stop(), e.startDaemon(ctx))
}

func (e *env) close() error {
	var errs []error
	if e.daemon != nil {
		errs = append(errs, e.daemon.Stop())
	}
	if e.proxy != nil {
		e.proxy.Close()
	}
	for _, r := range []*devenv.Registry{e.registry, e.mirror} {
		if r != nil {
			errs = append(errs, r.Stop())
		}
	}
	return errors.Join(errs...)
}

// secrets are the values no output may hold: the password, its basic-auth
// encoding, and the build secret.
func (e *env) secrets() []string {
	return []string{e.password, base64.StdEncoding.EncodeToString([]byte(user + ":" + e.password)), e.token}
}

func secret() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "s3cr3t-" + hex.EncodeToString(b)
}

// writeDockerConfig writes a docker config holding one login for host, as
// `docker login` does, and returns its directory.
func writeDockerConfig(dir, host, user, password string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	login := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	config := fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, host, login)
	return dir, os.WriteFile(filepath.Join(dir, "config.json"), []byte(config), 0o600)
}
