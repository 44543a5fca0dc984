package build

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/opencontainers/go-digest"

	"github.com/cairn-build/cairn/internal/human"
)

// errRestore is the cause of a stage's canceled attempt: a step that uses
// a carried cache mount began running before the mount was restored.
var errRestore = errors.New("a cache mount must be restored first")

// attempt is one solve of a stage; watch, when not nil, sees its progress
// and the cache mounts of its steps.
type attempt func(ctx context.Context, watch func(*client.SolveStatus, *stepMounts)) (*client.SolveResponse, error)

// solve runs a stage's solve so that a no-change build pays for no
// restore. Each attempt runs with nothing restored until a step that uses
// a carried cache mount starts running (not from the cache); the attempt
// is canceled then, that mount is restored (once, whichever stage asks),
// and the stage is solved again: what the canceled attempt finished is in
// the daemon's cache by then. A nil carrier solves once.
//
// Once the attempt pulls its base image's layers, a step of the stage is
// about to run: the snapshots of the stage's mounts are fetched meanwhile
// (prefetch), so the restore that follows only copies.
//
// A solve that ignores the cache (--no-cache) restores nothing: BuildKit
// empties the cache mounts of the steps it reruns (solver/llbsolver,
// detectPrunedCacheID), so its mounts start empty as asked.
func (c *carrier) solve(ctx context.Context, s Solver, stage string, status chan<- *client.SolveStatus, steps *stepCounter, noCache bool, try attempt) (*client.SolveResponse, error) {
	if c == nil {
		return try(ctx, nil)
	}
	fetching, stopFetching := context.WithCancel(ctx)
	var fetches sync.WaitGroup
	defer func() {
		stopFetching() // unused when the steps came from the cache after all
		fetches.Wait()
	}()
	// Once: a pull reports each layer many times over.
	prefetch := sync.OnceFunc(func() { c.prefetch(fetching, s, stage, status, &fetches) })
	for {
		actx, cancel := context.WithCancelCause(ctx)
		var (
			mu   sync.Mutex
			need []string
		)
		resp, err := try(actx, func(st *client.SolveStatus, steps *stepMounts) {
			ids, running := c.watch(s, st, steps)
			if noCache {
				c.emptied(s, ids)
				return
			}
			if pulling(st) {
				prefetch()
			}
			if len(ids) == 0 {
				return
			}
			mu.Lock()
			need = append(need, ids...)
			mu.Unlock()
			if running {
				cancel(errRestore)
			}
		})
		restarted := errors.Is(context.Cause(actx), errRestore)
		cancel(nil)
		if len(need) == 0 || ctx.Err() != nil || (err != nil && !restarted) {
			return resp, err
		}
		// A step that finished before the cancel did wrote its files into
		// an empty directory: the snapshot fills in the rest, never over
		// them (a killed step's half-written files, though, are replaced).
		c.restore(ctx, s, need, status, err == nil)
		if err == nil {
			// The mount now holds the step's writes and the snapshot's
			// other files, which a save must not lose.
			return resp, nil
		}
		steps.keepRan()
	}
}

// pulling reports whether the status shows an image's layers being
// pulled: BuildKit pulls them only for a step that runs (a cached one
// leaves them in the registry), unlike the image's vertex, which shows as
// running in every solve.
func pulling(st *client.SolveStatus) bool {
	for _, vs := range st.Statuses {
		if strings.HasPrefix(vs.ID, "sha256:") || strings.HasPrefix(vs.ID, "extracting sha256:") {
			return true
		}
	}
	return false
}

// prefetch pulls and unpacks on s, in the background, the snapshot of each
// carried mount of stage whose restore there has not begun: the restore's
// image is then on the daemon. It touches no cache directory, so a step
// that runs meanwhile is not kept from its mount, as an early restore
// would (BuildKit gives a step a second, empty directory when the ID's
// one is held). A fetch that fails is left to the restore to report.
func (c *carrier) prefetch(ctx context.Context, s Solver, stage string, status chan<- *client.SolveStatus, fetches *sync.WaitGroup) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range c.order {
		m := c.byID[id]
		if !m.carried || m.res.SourceDigest == "" || m.at(s).started || m.fetched[s] || !slices.Contains(m.res.Stages, stage) {
			continue
		}
		if m.fetched == nil {
			m.fetched = map[Solver]bool{}
		}
		m.fetched[s] = true
		target, src, dgst := m.res.Target, m.res.Source, m.res.SourceDigest
		fetches.Add(1)
		go func() {
			defer fetches.Done()
			_ = solveDef(ctx, s, c.opts, status, nil, func() (*llb.Definition, error) { return fetchDefinition(ctx, target, src, dgst) })
		}()
	}
}

// emptied records that BuildKit emptied the mounts on s instead of a
// restore.
func (c *carrier) emptied(s Solver, ids []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		m := c.byID[id]
		if r := m.at(s); !r.started {
			r.started, r.done = true, true
			m.res.Restore, m.res.Note = Skipped, "--no-cache: BuildKit emptied it"
			close(r.finished)
		}
	}
}

// restore restores the mounts on s, each once: a mount another stage is
// restoring there is waited for. With keep, files already in the
// directory stay as they are.
func (c *carrier) restore(ctx context.Context, s Solver, ids []string, status chan<- *client.SolveStatus, keep bool) {
	var wg sync.WaitGroup
	waits := make([]chan struct{}, len(ids))
	for i, id := range ids {
		m := c.byID[id]
		c.mu.Lock()
		r := m.at(s)
		first := !r.started
		r.started = true
		waits[i] = r.finished
		c.mu.Unlock()
		if first {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.restoreOne(ctx, s, m, r, status, keep)
			}()
		}
	}
	wg.Wait()
	for _, w := range waits {
		select {
		case <-w:
		case <-ctx.Done():
			return
		}
	}
}

// restoreOne fills the mount's directory on s from its snapshot. A
// snapshot that cannot be read is a warning: the build goes on, the mount
// empty.
func (c *carrier) restoreOne(ctx context.Context, s Solver, m *mount, r *restoring, status chan<- *client.SolveStatus, keep bool) {
	c.mu.Lock()
	id, target, src, dgst := m.res.ID, m.res.Target, m.res.Source, m.res.SourceDigest
	c.mu.Unlock()
	start := time.Now()
	read := make(chan []int64, 1) // while the daemon restores, not after
	go func() { read <- c.sourceLayers(ctx, src, dgst) }()
	var written int64
	err := solveDef(ctx, s, c.opts, status, &written, func() (*llb.Definition, error) { return restoreDefinition(ctx, id, target, src, dgst, keep) })
	layers := <-read
	c.mu.Lock()
	defer c.mu.Unlock()
	r.done = true
	close(r.finished)
	m.res.RestoreTime += time.Since(start).Round(time.Millisecond)
	switch {
	case err == nil:
		m.res.Restore, m.res.SourceSize, m.res.sourceLayers, m.res.RestoredBytes = Restored, sum(layers), layers, written
	case ctx.Err() != nil:
		m.res.Note = "restore canceled"
	default:
		m.res.Restore = Broken
		m.res.Note = fmt.Sprintf("snapshot %s@%s cannot be restored (%s): it started empty", src, human.Digest(dgst), lastLine(err))
		warn(status, fmt.Sprintf("cache mount %s: %s", target, m.res.Note))
	}
}

// sourceLayers are the layer sizes of the snapshot dgst of ref, for the
// restore's rate and the save's delta (snapshotState); nil when they
// cannot be read.
func (c *carrier) sourceLayers(ctx context.Context, ref, dgst string) []int64 {
	if c.opts.Registry == nil {
		return nil
	}
	layers, _ := snapshotLayers(ctx, c.opts.Registry, ref, dgst)
	return layers
}

// solveDef solves an LLB definition on s, its progress shown with the
// stage's; count, when not nil, receives the bytes its exec printed
// (filesBytes).
func solveDef(ctx context.Context, s Solver, opts Options, status chan<- *client.SolveStatus, count *int64, def func() (*llb.Definition, error)) error {
	d, err := def()
	if err != nil {
		return err
	}
	fan := newFanIn(status)
	ch := fan.add()
	if count != nil {
		ch = countBytes(ch, count)
	}
	_, err = s.Solve(ctx, d, client.SolveOpt{Session: opts.Session}, ch)
	fan.wait()
	return err
}

// bytesLine starts the line filesBytes prints.
const bytesLine = "cairn-bytes "

// filesBytes is a shell line printing the bytes of dir's regular files,
// for the rates of the CACHE MOUNT table: those of the directory, not of
// its compressed snapshot.
func filesBytes(dir string) string {
	return "find " + dir + ` -type f -print0 | xargs -0 -r stat -c %s | awk '{ s += $1 } END { printf "` + bytesLine + `%.0f\n", s }'`
}

// countBytes passes a solve's status on to out, taking the line
// filesBytes printed out of the exec's logs and into n. Solve closes the
// channel it returns; out is closed then.
func countBytes(out chan<- *client.SolveStatus, n *int64) chan *client.SolveStatus {
	in := make(chan *client.SolveStatus)
	go func() {
		defer close(out)
		for st := range in {
			var logs []*client.VertexLog
			for _, l := range st.Logs {
				data := l.Data
				if i := bytes.Index(data, []byte(bytesLine)); i >= 0 {
					line, rest, _ := bytes.Cut(data[i+len(bytesLine):], []byte("\n"))
					if v, err := strconv.ParseInt(string(line), 10, 64); err == nil {
						*n = v
					}
					data = append(slices.Clone(data[:i]), rest...)
				}
				if len(data) > 0 {
					c := *l
					c.Data = data
					logs = append(logs, &c)
				}
			}
			st.Logs = logs
			out <- st
		}
	}()
	return in
}

// Where the restore and save execs see things. They run busybox
// (RunnerImage) and mount the cache directory as the Dockerfile's RUN does.
const (
	mountDir    = "/cache"
	snapshotDir = "/snapshot"
	saveDir     = "/out"
)

// restoreDefinition copies the snapshot image's files (mounted read-only)
// into the persistent cache directory BuildKit keeps for id: the key of
// that directory is the ID alone (solver/llbsolver/mounts, getRefCacheDir),
// so the Dockerfile's RUN finds the files. With keep, it copies none over
// a file already there.
func restoreDefinition(ctx context.Context, id, target, ref, dgst string, keep bool) (*llb.Definition, error) {
	snapshot, err := snapshotImage(target, ref, dgst)
	if err != nil {
		return nil, err
	}
	cp := "cp -a"
	if keep {
		cp = "cp -an"
	}
	run := cacheExec(id, fmt.Sprintf("%s %s/. %s/ && %s", cp, snapshotDir, mountDir, filesBytes(snapshotDir)),
		llb.AddMount(snapshotDir, snapshot, llb.Readonly),
		llb.WithCustomNamef("[cache mount %s] restore from %s", target, ref))
	return run.Root().Marshal(ctx)
}

// fetchDefinition unpacks the snapshot image on the daemon, as the restore
// mounts it (the same image op: BuildKit keeps the unpacked snapshot for
// the restore), with no cache directory mounted.
func fetchDefinition(ctx context.Context, target, ref, dgst string) (*llb.Definition, error) {
	snapshot, err := snapshotImage(target, ref, dgst)
	if err != nil {
		return nil, err
	}
	run := llb.Image(RunnerImage).Run(
		llb.Args([]string{"/bin/busybox", "true"}),
		llb.AddEnv("CAIRN_NONCE", nonce()), // runs, so the image is unpacked, every time
		llb.Network(llb.NetModeNone),
		llb.AddMount(snapshotDir, snapshot, llb.Readonly),
		llb.WithCustomNamef("[cache mount %s] fetch %s", target, ref))
	return run.Root().Marshal(ctx)
}

// snapshotImage is the snapshot image dgst of ref's repository, as the
// restore pulls it: the save's delta is made on the same state, which the
// restore left unpacked on the daemon.
func snapshotImage(target, ref, dgst string) (llb.State, error) {
	repos, err := repositories([]string{ref})
	if err != nil {
		return llb.State{}, err
	}
	return llb.Image(repos[0]+"@"+dgst, llb.WithCustomNamef("[cache mount %s] pull %s@%s", target, ref, human.Digest(dgst))), nil
}

// cacheExec runs a shell line in busybox with the persistent cache
// directory id mounted at mountDir.
//
// Locked sharing: BuildKit looks the directory up by ID whatever the
// sharing, which only says who may hold it at once. Locked waits for a
// canceled attempt's step to let go of it, so the copy never races a step,
// and never makes a second directory for the ID, as private would.
//
// A nonce makes the exec run every time. llb.IgnoreCache would too, but
// BuildKit then empties the cache directories the exec mounts (the
// --no-cache path of solver/llbsolver).
func cacheExec(id, line string, opts ...llb.RunOption) llb.ExecState {
	base := []llb.RunOption{
		llb.Args([]string{"/bin/busybox", "sh", "-c", line}),
		llb.AddEnv("CAIRN_NONCE", nonce()),
		llb.Network(llb.NetModeNone),
		llb.AddMount(mountDir, llb.Scratch(), llb.AsPersistentCacheDir(id, llb.CacheMountLocked)),
	}
	return llb.Image(RunnerImage).Run(append(base, opts...)...)
}

func nonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail
	return hex.EncodeToString(b)
}

// warn shows a warning in the progress stream, where BuildKit's own
// warnings go: the display and the run's report pick it up.
func warn(status chan<- *client.SolveStatus, msg string) {
	if status == nil {
		return
	}
	status <- &client.SolveStatus{Warnings: []*client.VertexWarning{{
		Vertex: digest.FromString("cairn warning " + msg), Level: 1, Short: []byte(msg),
	}}}
}

// keepRan records the steps an attempt canceled for a restore ran: the
// next attempt finds them in the daemon's cache, but this build ran them.
func (c *stepCounter) keepRan() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ran == nil {
		c.ran = map[digest.Digest]bool{}
	}
	for d, cached := range c.steps {
		if !cached {
			c.ran[d] = true
		}
	}
}
