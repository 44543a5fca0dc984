package build

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"

	"github.com/cairn-build/cairn/pkg/registry"
)

// SaveMounts snapshots the carried cache mounts a step of the build ran
// with, for the next runner, and stages each snapshot by digest in its
// snapshot ref's repository (see MountResult.SavedDigest): the commit
// moves the tags. Call it only when every stage succeeded, with the
// build's options (the checks may run meanwhile: a failed one means no
// commit, and a good snapshot is never replaced). The
// save runs on the daemon the mount's steps ran on (s for a result not
// made by Run); a mount whose steps ran on several daemons of a pool is
// not saved. A snapshot of more than maxSize bytes (0: no cap) is not
// saved: its tag stays where it was.
//
// A snapshot is zstd layers holding the directory's files, in an image
// whose times are fixed: the same files give the same digest, and blobs
// the registry has are not sent again. After a restore it is the restored
// snapshot's layers and one of what changed, and nothing when nothing did
// (Unchanged); see maxSnapshotLayers for when it is one layer again. A
// mount that cannot be saved keeps its snapshot tag where it is, with a
// warning; the error is ctx's.
func SaveMounts(ctx context.Context, s Solver, res *Result, opts Options, maxSize int64) error {
	sv := NewSaver(ctx, maxSize)
	defer sv.Stop()
	return sv.Wait(s, res, opts)
}

// Saver saves a publishing build's cache mounts as SaveMounts does, each
// as early as it can: given to Run in Options.Saver, it begins a mount's
// save once every stage that mounts it is built, while the other stages
// still build (a save on the critical path after the last stage is what
// made a cold build slower than the script). Wait saves the rest; Stop,
// when the build or a check failed, cancels them all. Only a Run on one
// daemon saves early: a pool's stages share no directory.
type Saver struct {
	ctx     context.Context
	stop    context.CancelFunc
	maxSize int64
	slots   chan struct{} // each save copies a directory and compresses it
	wg      sync.WaitGroup

	mu     sync.Mutex
	status *fanIn
	early  map[string]*MountResult // by ID: the saves begun during the build
}

// NewSaver returns a Saver whose saves run in ctx; maxSize is SaveMounts'.
func NewSaver(ctx context.Context, maxSize int64) *Saver {
	ctx, stop := context.WithCancel(ctx)
	return &Saver{ctx: ctx, stop: stop, maxSize: maxSize, slots: make(chan struct{}, 2), early: map[string]*MountResult{}}
}

// begin saves m from its steps' daemon, in the background: Run calls it
// when the last stage m's steps run in is built.
func (sv *Saver) begin(m MountResult, opts Options) {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if sv.early[m.ID] != nil {
		return
	}
	sv.early[m.ID] = &m
	sv.save(&m, m.ranOn[0], opts)
}

// Wait saves res's mounts that no early save began, and returns when
// every save is over, its outcome in res.Mounts. s saves a mount whose
// steps ran on no known daemon.
func (sv *Saver) Wait(s Solver, res *Result, opts Options) error {
	if opts.Registry == nil {
		reg, err := registry.New()
		if err != nil {
			return err
		}
		opts.Registry = reg
	}
	sv.mu.Lock()
	for i := range res.Mounts {
		m := &res.Mounts[i]
		if sv.early[m.ID] != nil {
			continue
		}
		if on := saveOn(m, s); on != nil {
			sv.save(m, on, opts)
		}
	}
	sv.mu.Unlock()
	sv.wg.Wait()
	sv.mu.Lock()
	for i := range res.Mounts {
		if m := sv.early[res.Mounts[i].ID]; m != nil {
			res.Mounts[i] = *m
		}
	}
	sv.mu.Unlock()
	if sv.status != nil {
		sv.status.wait()
	}
	return sv.ctx.Err()
}

// Stop cancels the saves and returns when they are over: what they
// staged stays untagged, and a later Wait records none of it.
func (sv *Saver) Stop() {
	sv.mu.Lock()
	sv.stop() // under mu: no save begins after it
	sv.mu.Unlock()
	sv.wg.Wait()
	sv.mu.Lock()
	clear(sv.early)
	sv.mu.Unlock()
	if sv.status != nil {
		sv.status.wait()
	}
}

// save runs m's save on s in the background. The caller holds sv.mu.
func (sv *Saver) save(m *MountResult, s Solver, opts Options) {
	if sv.ctx.Err() != nil {
		return
	}
	if sv.status == nil {
		sv.status = newFanIn(opts.Status)
	}
	ch := sv.status.add()
	sv.wg.Add(1)
	go func() {
		defer sv.wg.Done()
		defer close(ch)
		select {
		case sv.slots <- struct{}{}:
			defer func() { <-sv.slots }()
		case <-sv.ctx.Done():
			return
		}
		start := time.Now()
		err := saveMount(sv.ctx, s, m, opts, sv.maxSize, ch)
		m.SaveTime = time.Since(start).Round(time.Millisecond)
		if err != nil && sv.ctx.Err() == nil {
			m.Save, m.Note = SaveFailed, fmt.Sprintf("not saved: %s", lastLine(err))
			warn(ch, fmt.Sprintf("cache mount %s: %s; snapshot %s stays where it was", m.Target, m.Note, m.Snapshot))
		}
	}()
}

// saveOn is the daemon to save m from (s when its steps' daemon is not
// known), or nil when m is not saved; then m.Save or m.Note says why
// when it is carried.
func saveOn(m *MountResult, s Solver) Solver {
	switch {
	case m.Snapshot == "":
		return nil
	case !m.Ran || m.Restore == NotNeeded:
		// NotNeeded with Ran cannot be: a mount a step ran with is
		// restored first (or emptied by --no-cache). Never save one
		// whose snapshot was not restored.
		m.Save = NotRun
		return nil
	case len(m.ranOn) > 1:
		m.Note = "steps ran with it on several builders, each holding part of it: not saved"
		return nil
	case len(m.ranOn) == 1:
		return m.ranOn[0] // the daemon whose directory holds it
	}
	return s
}

// saveMount snapshots the mount's directory (see snapshotState) and has
// the daemon upload the image by digest to the snapshot's repository: the
// files go from the daemon to the registry once, never through cairn, and
// only the layers the registry lacks. Its size is read back from the
// registry, and a snapshot over maxSize is left staged but untagged
// (invisible, as every staged blob is until the commit).
func saveMount(ctx context.Context, s Solver, m *MountResult, opts Options, maxSize int64, status chan *client.SolveStatus) error {
	ref, err := opts.Registry.Reference(m.Snapshot)
	if err != nil {
		return err
	}
	out, prev, err := snapshotState(ctx, s, m, opts, status)
	if err != nil || out == nil {
		return err
	}
	def, err := out.Marshal(ctx)
	if err != nil {
		return err
	}
	attrs := pushByDigest(opts.Registry, []string{m.Snapshot}, []string{ref.Context().Name()})
	attrs["compression"], attrs["oci-mediatypes"] = "zstd", "true"
	attrs["source-date-epoch"] = "0" // the config's times: equal files, equal digests
	fan := newFanIn(status)
	ch := fan.add()
	if prev == 0 {
		ch = countBytes(ch, &m.SavedBytes) // a whole save counts what it copied
	}
	resp, err := s.Solve(ctx, def, client.SolveOpt{
		Session: opts.Session,
		Exports: []client.ExportEntry{{Type: client.ExporterImage, Attrs: attrs}},
	}, ch) // Solve closes it
	fan.wait()
	if err != nil {
		return err
	}
	dgst := resp.ExporterResponse["containerimage.digest"]
	layers, err := snapshotLayers(ctx, opts.Registry, m.Snapshot, dgst)
	if err != nil {
		return err
	}
	m.Size, m.Layers = sum(layers), len(layers)
	if len(layers) > prev {
		m.Added = sum(layers[prev:])
	}
	if maxSize > 0 && m.Size > maxSize {
		m.Save, m.Note = TooBig, fmt.Sprintf("not saved: %d bytes, over cache.mounts.maxSize (%d)", m.Size, maxSize)
		return nil
	}
	m.Save, m.SavedDigest = Saved, dgst
	return nil
}

// snapshotState is what to export as the mount's snapshot, and how many of
// its layers are the previous snapshot's: a delta on the snapshot the
// mount was restored from, unless the compaction rule (maxSnapshotLayers)
// says to save the whole directory. It is nil when the mount's files are
// still those of its own snapshot: nothing to save, its tag stays.
func snapshotState(ctx context.Context, s Solver, m *MountResult, opts Options, status chan *client.SolveStatus) (*llb.State, int, error) {
	whole := cacheExec(m.ID, fmt.Sprintf("cp -a %s/. %s/ && %s", mountDir, saveDir, filesBytes(saveDir)),
		llb.WithCustomNamef("[cache mount %s] save to %s", m.Target, m.Snapshot)).AddMount(saveDir, llb.Scratch())
	if m.Restore != Restored || m.SourceDigest == "" {
		return &whole, 0, nil
	}
	layers := m.sourceLayers // read by the restore
	if layers == nil {
		var err error
		if layers, err = snapshotLayers(ctx, opts.Registry, m.Source, m.SourceDigest); err != nil {
			m.Note = joinNotes(m.Note, "saved whole: "+lastLine(err))
			return &whole, 0, nil
		}
		m.SourceSize = sum(layers)
	}
	prev, err := snapshotImage(m.Target, m.Source, m.SourceDigest)
	if err != nil {
		return nil, 0, err
	}
	plan := planExec(m, prev).AddMount(planDir, llb.Scratch())
	p, err := readPlan(ctx, s, plan, opts, status)
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, 0, err
	case err != nil:
		m.Note = joinNotes(m.Note, "saved whole: "+lastLine(err))
		return &whole, 0, nil
	}
	m.SavedBytes = p.now
	switch {
	case p.changes == 0 && !p.whole && m.Source == m.Snapshot:
		m.Save, m.Size, m.Layers = Unchanged, m.SourceSize, len(layers)
		return nil, 0, nil
	case p.changes == 0 && !p.whole:
		return &prev, len(layers), nil // the fallback's files, as its own snapshot
	}
	if why := p.wholeBecause(layers); why != "" {
		m.Note = joinNotes(m.Note, "saved whole: "+why)
		return &whole, 0, nil
	}
	apply := cacheExec(m.ID, applyScript, llb.AddMount(planDir, plan, llb.Readonly),
		llb.WithCustomNamef("[cache mount %s] save changes to %s", m.Target, m.Snapshot)).AddMount(saveDir, prev)
	return &apply, len(layers), nil
}

// snapshotLayers are the sizes of the layers of the image dgst in the
// repository of ref (a snapshot ref), base first.
func snapshotLayers(ctx context.Context, reg *registry.Access, ref, dgst string) ([]int64, error) {
	r, err := reg.Reference(ref)
	if err != nil {
		return nil, err
	}
	at := r.Context().Digest(dgst)
	img, err := remote.Image(at, reg.Remote(ctx)...)
	if err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", at, err)
	}
	manifest, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", at, err)
	}
	layers := make([]int64, len(manifest.Layers))
	for i, l := range manifest.Layers {
		layers[i] = l.Size
	}
	return layers, nil
}

func sum(sizes []int64) int64 {
	var n int64
	for _, s := range sizes {
		n += s
	}
	return n
}
