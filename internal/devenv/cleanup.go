package devenv

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A buildkitd that dies with builds running (killed, or stopped while RUN
// steps execute) leaves two things under its root: runc containers still
// running, and the overlay mounts of their root filesystems. Both keep the
// root from being removed ("device or resource busy"), so whoever stops a
// daemon releases them once the process is gone.

// release stops the runc containers whose bundles are under dir, then
// unmounts everything mounted under dir. Only call it when no daemon using
// dir runs: their containers and mounts are theirs while they live.
func release(dir string) error {
	dir, err := canonical(dir)
	if err != nil {
		return err
	}
	// Its own deadline: release runs in cleanups, after the caller's context
	// is often canceled, and must still run.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return errors.Join(stopContainers(ctx, dir), unmountUnder(dir))
}

// canonical is dir as /proc/self/mountinfo and runc spell it: absolute, with
// symlinks resolved. It refuses "/" and relative paths, which would name
// mounts and containers that are not a daemon's.
func canonical(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	if dir == "" || abs == "/" {
		return "", fmt.Errorf("refusing to release mounts under %q", dir)
	}
	return abs, nil
}

// under reports whether path is dir or inside it.
func under(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+"/")
}

// runcContainer is a container in runc's state root.
type runcContainer struct {
	ID     string
	Bundle string
}

// runcRoot is runc's default state root for root.
const runcRoot = "/run/runc"

// containersUnder lists the runc containers whose bundle is under dir.
//
// buildkitd v0.33.1 runs runc without --root (executor/runcexecutor builds
// runc.Runc with no Root), so its containers are in runc's default state root,
// /run/runc for root, shared by every daemon on the host. The bundle,
// <root>/runc-<snapshotter>/executor/<id>, says which daemon a container is
// from. The state files are read directly rather than through `runc list`,
// which fails as a whole on one entry another daemon is creating or
// deleting, or one a killed runc left without a state file.
func containersUnder(dir string) ([]runcContainer, error) {
	entries, err := os.ReadDir(runcRoot)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil // no container ever ran here
	}
	if err != nil {
		return nil, fmt.Errorf("list runc containers: %w", err)
	}
	var mine []runcContainer
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(runcRoot, e.Name(), "state.json"))
		if err != nil {
			continue // gone meanwhile, or being created: not one of a stopped daemon's
		}
		var state struct {
			Config struct {
				Labels []string `json:"labels"`
			} `json:"config"`
		}
		if json.Unmarshal(data, &state) != nil {
			continue
		}
		for _, label := range state.Config.Labels {
			if bundle, ok := strings.CutPrefix(label, "bundle="); ok && under(bundle, dir) {
				mine = append(mine, runcContainer{ID: e.Name(), Bundle: bundle})
			}
		}
	}
	return mine, nil
}

// stopContainers kills and deletes the runc containers whose bundle is under dir.
func stopContainers(ctx context.Context, dir string) error {
	containers, err := containersUnder(dir)
	if err != nil || len(containers) == 0 {
		return err
	}
	for _, c := range containers {
		// --force kills a running container and waits for it before deleting.
		// An error may be a container that went away meanwhile; the list
		// below says what really remains.
		_ = exec.CommandContext(ctx, "runc", "delete", "--force", c.ID).Run()
	}
	left, err := containersUnder(dir)
	if err != nil {
		return err
	}
	if len(left) > 0 {
		ids := make([]string, len(left))
		for i, c := range left {
			ids[i] = c.ID
		}
		return fmt.Errorf("runc containers under %s remain after runc delete --force: %s", dir, strings.Join(ids, ", "))
	}
	return nil
}

// MountsUnder lists the mount points at or below dir, in the order they
// were mounted (as /proc/self/mountinfo lists them).
func MountsUnder(dir string) ([]string, error) {
	dir, err := canonical(dir)
	if err != nil {
		return nil, err
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	all, err := parseMountinfo(f)
	if err != nil {
		return nil, err
	}
	var mine []string
	for _, m := range all {
		if under(m, dir) {
			mine = append(mine, m)
		}
	}
	return mine, nil
}

// parseMountinfo returns the mount point (the fifth field) of each line of
// a mountinfo file, unescaped.
func parseMountinfo(r io.Reader) ([]string, error) {
	var points []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			return nil, fmt.Errorf("mountinfo: malformed line %q", sc.Text())
		}
		points = append(points, unescapeOctal(fields[4]))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	return points, nil
}

// unescapeOctal undoes the kernel's \ooo escapes of space, tab, newline and
// backslash in mountinfo paths.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b bytes.Buffer
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// unmountOrder sorts mounts (in mount order) for unmounting: deepest path
// first, and of mounts stacked on one path, the latest first.
func unmountOrder(mounts []string) []string {
	order := make([]string, len(mounts))
	for i, m := range mounts {
		order[len(mounts)-1-i] = m
	}
	sort.SliceStable(order, func(i, j int) bool {
		return strings.Count(order[i], "/") > strings.Count(order[j], "/")
	})
	return order
}

// unmountUnder unmounts everything mounted under dir.
func unmountUnder(dir string) error {
	for range 3 {
		mounts, err := MountsUnder(dir)
		if err != nil {
			return err
		}
		if len(mounts) == 0 {
			return nil
		}
		for _, m := range unmountOrder(mounts) {
			err := syscall.Unmount(m, 0)
			if err == nil || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOENT) {
				continue // unmounted, or already gone with a parent
			}
			// Busy (a process still holds it): detach it now; the kernel
			// frees it when its last user leaves, and the tree can go.
			_ = syscall.Unmount(m, syscall.MNT_DETACH)
		}
	}
	left, err := MountsUnder(dir)
	if err != nil {
		return err
	}
	if len(left) > 0 {
		return fmt.Errorf("still mounted under %s after unmounting: %s", dir, strings.Join(left, ", "))
	}
	return nil
}

// Clean removes the environment under dir and everything in it. It first
// stops what the environment runs, including daemons test binaries started
// under dir and never stopped (a binary killed before its cleanups ran), then
// stops their build containers and unmounts what they left mounted, so the
// removal cannot fail on a busy mount.
func Clean(dir string) error {
	dir, err := canonical(dir)
	if err != nil {
		return err
	}
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	errs := []error{Down(dir)}
	errs = append(errs, stopStrays(dir)...)
	if err := release(dir); err != nil {
		return errors.Join(append(errs, err)...)
	}
	removeSocketDirs(dir)
	if err := os.RemoveAll(dir); err != nil {
		errs = append(errs, fmt.Errorf("remove %s: %w", dir, err))
	}
	return errors.Join(errs...)
}

// stopStrays stops the buildkitd and registry processes whose command line
// names a file under dir: daemons devenv started there, with its configs.
func stopStrays(dir string) []error {
	procs, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, p := range procs {
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		if err != nil || pid == os.Getpid() {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil || !startedUnder(strings.Split(string(data), "\x00"), dir) {
			continue
		}
		if err := stopProcess(pid); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// startedUnder reports whether argv is a buildkitd, registry or dockerd
// that devenv started with a config under dir.
func startedUnder(argv []string, dir string) bool {
	if len(argv) < 2 {
		return false
	}
	configs := map[string]string{"buildkitd": ".toml", "registry": ".yml", "dockerd": ".json"}
	ext, ok := configs[filepath.Base(argv[0])]
	if !ok {
		return false
	}
	for _, arg := range argv[1:] {
		if under(arg, dir) && strings.HasSuffix(arg, ext) {
			return true
		}
	}
	return false
}

// removeSocketDirs removes the socket directories in the temp dir of the
// daemons whose roots are under dir; each daemon's config is its root + ".toml".
func removeSocketDirs(dir string) {
	for _, pattern := range []string{"*.toml", "*/*.toml"} {
		configs, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, c := range configs {
			removeSocket(strings.TrimSuffix(c, ".toml"))
		}
	}
}
