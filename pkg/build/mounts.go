package build

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/moby/buildkit/client"

	"github.com/cairn-build/cairn/pkg/planner"
	"github.com/cairn-build/cairn/pkg/push"
)

// RestoreState says how a cache mount's directory was filled before the
// steps that use it ran. The values are stable identifiers: they appear in
// the metadata file.
type RestoreState string

const (
	Restored  RestoreState = "restored"   // filled from its snapshot (or a fallback's)
	Missing   RestoreState = "missing"    // no snapshot in the registry: it started empty
	Broken    RestoreState = "broken"     // the snapshot's content is gone: it started empty
	NotNeeded RestoreState = "not-needed" // every step that uses it came from the cache
	Skipped   RestoreState = "skipped"    // not carried between runners, or emptied by --no-cache: see Note
)

// SaveState says what became of a carried cache mount's contents after a
// publishing build; "" when no save was tried (not publishing, not
// carried, or the build failed).
type SaveState string

const (
	Saved      SaveState = "saved"     // staged by digest: the commit moves its snapshot tag
	NotRun     SaveState = "not-run"   // no step ran with it: its snapshot tag stays
	TooBig     SaveState = "too-big"   // over cache.mounts.maxSize: its snapshot tag stays
	SaveFailed SaveState = "failed"    // see Note: its snapshot tag stays
	Unchanged  SaveState = "unchanged" // its files are its snapshot's: the tag stays
)

// MountResult is what a build did with one cache mount directory, by
// BuildKit's cache ID: several RUNs and stages may share it.
type MountResult struct {
	ID     string   `json:"id"`
	Target string   `json:"target"` // the first RUN's mount point
	Stages []string `json:"stages"`
	// Snapshot is the ref its contents travel in; "" when not carried.
	Snapshot string       `json:"snapshot,omitempty"`
	Restore  RestoreState `json:"restore"`
	// Source is the ref the restore read (Snapshot or a fallback) and
	// SourceDigest the snapshot image there.
	Source       string        `json:"source,omitempty"`
	SourceDigest string        `json:"sourceDigest,omitempty"`
	RestoreTime  time.Duration `json:"-"` // a Report has it in seconds
	// Ran reports whether a step ran with the mount, not from the cache:
	// only then did its contents change, and only then is it saved.
	Ran         bool      `json:"-"`
	Save        SaveState `json:"save,omitempty"`
	SavedDigest string    `json:"savedDigest,omitempty"` // the snapshot staged for the commit
	Size        int64     `json:"size,omitempty"`        // its layers' bytes
	// Layers is the saved snapshot's layer count, and Added the bytes of
	// the layers the save added to the restored snapshot's (all of Size
	// for a full snapshot): what it uploaded.
	Layers int   `json:"layers,omitempty"`
	Added  int64 `json:"added,omitempty"`
	// SourceSize is the bytes of the restored snapshot's layers.
	SourceSize int64 `json:"sourceSize,omitempty"`
	// RestoredBytes and SavedBytes are the bytes of the directory's
	// regular files that the restore wrote and the save read (uncompressed,
	// unlike Size); 0 when not known.
	RestoredBytes int64         `json:"restoredBytes,omitempty"`
	SavedBytes    int64         `json:"savedBytes,omitempty"`
	SaveTime      time.Duration `json:"-"` // a Report has it in seconds
	Note          string        `json:"note,omitempty"`

	ranOn        []Solver // the daemons steps ran with it on
	sourceLayers []int64  // the restored snapshot's layer sizes, base first
}

// carrier carries a build's cache mount directories between runners: it
// restores a mount from its snapshot the first time a step that uses it
// runs on a daemon, and records which mounts steps ran with, for
// SaveMounts. Each daemon of a pool has directories of its own.
type carrier struct {
	opts  Options
	ns    string // BUILDKIT_CACHE_MOUNT_NS: the prefix of every ID
	mu    sync.Mutex
	order []string          // IDs in plan order
	byID  map[string]*mount // every cache mount ID of the plan
	done  map[string]bool   // stages built, guarded by mu
}

// mount is one cache mount directory of the build.
type mount struct {
	res     MountResult // guarded by carrier.mu
	carried bool
	refs    []string // Snapshot, then its fallbacks
	// inside: a stage that mounts it is built inside its dependents'
	// solves, so it is not known when its last step ran.
	inside bool
	handed bool // to the Saver (guarded by carrier.mu)
	// fetched: its snapshot was prefetched there (guarded by carrier.mu).
	fetched map[Solver]bool
	// on is its restore on each daemon (guarded by carrier.mu).
	on map[Solver]*restoring
}

// restoring is a mount's restore on one daemon.
type restoring struct {
	started, done bool
	finished      chan struct{} // closed when done
}

// at is the mount's restore on s. The caller holds carrier.mu.
func (m *mount) at(s Solver) *restoring {
	r, ok := m.on[s]
	if !ok {
		r = &restoring{finished: make(chan struct{})}
		m.on[s] = r
	}
	return r
}

// unrestored reports whether the mount has a snapshot whose restore on s
// is not over: a step there must not use it yet. The caller holds
// carrier.mu.
func (m *mount) unrestored(s Solver) bool {
	return m.carried && m.res.SourceDigest != "" && !m.at(s).done
}

// newCarrier lists the plan's cache mounts and finds each carried one's
// snapshot in the registry (the ref, else the first fallback there). It is
// nil when the plan has no cache mount.
func newCarrier(ctx context.Context, plan *planner.Plan, opts Options) (*carrier, error) {
	c := &carrier{opts: opts, ns: opts.Args["BUILDKIT_CACHE_MOUNT_NS"], byID: map[string]*mount{}}
	for _, stage := range plan.Stages {
		for _, cm := range stage.CacheMounts {
			if cm.ID != "" {
				c.add(stage.Name, cm)
				c.byID[cm.ID].inside = c.byID[cm.ID].inside || !stage.Standalone
			}
		}
	}
	if len(c.order) == 0 {
		return nil, nil
	}
	return c, c.probe(ctx)
}

func (c *carrier) add(stage string, cm planner.CacheMount) {
	m, ok := c.byID[cm.ID]
	if !ok {
		m = &mount{res: MountResult{ID: cm.ID, Target: cm.Target, Restore: Skipped, Note: cm.Reason}, on: map[Solver]*restoring{}}
		c.byID[cm.ID] = m
		c.order = append(c.order, cm.ID)
	}
	if !slices.Contains(m.res.Stages, stage) {
		m.res.Stages = append(m.res.Stages, stage)
	}
	if cm.Carried && !m.carried {
		m.carried = true
		m.res.Snapshot, m.res.Restore, m.res.Note = cm.Snapshot, NotNeeded, ""
		// A read-only build (a pull request's tier) has no snapshot of its
		// own to write: its fallbacks, its own ref first, are what it reads.
		if cm.Snapshot != "" {
			m.refs = append(m.refs, cm.Snapshot)
		}
		m.refs = append(m.refs, cm.Fallbacks...)
	}
}

// probe reads where each carried mount's refs point. A mount with none is
// Missing from the start: no step waits for it.
func (c *carrier) probe(ctx context.Context) error {
	var refs []string
	for _, id := range c.order {
		refs = append(refs, c.byID[id].refs...)
	}
	if len(refs) == 0 {
		return nil
	}
	current, err := push.Current(ctx, c.opts.Registry, refs)
	if err != nil && c.opts.Push {
		return fmt.Errorf("look up cache mount snapshots: %w", err)
	}
	if err != nil {
		notef(c.opts, "cache mount snapshots unreachable, cache mounts start empty: %v", err)
		current = map[string]string{}
	}
	for _, id := range c.order {
		m := c.byID[id]
		if !m.carried {
			continue
		}
		for _, ref := range m.refs {
			if d := current[ref]; d != "" {
				m.res.Source, m.res.SourceDigest = ref, d
				break
			}
		}
		if m.res.SourceDigest == "" {
			m.res.Restore = Missing
			notef(c.opts, "cache mount %s: snapshot %s not found (first build?): it starts empty", m.res.Target, m.res.Snapshot)
		}
	}
	return nil
}

// restorable reports whether the mount's directory will be filled from a
// snapshot: a carried mount whose snapshot (or a fallback) was found.
func (c *carrier) restorable(id string) bool {
	if c == nil {
		return false
	}
	m, ok := c.byID[id]
	return ok && m.carried && m.res.SourceDigest != ""
}

// built records that stage was built, and returns the mounts that are
// now ready to save, each once: every stage that mounts them built, and
// saved (saveOn) from the one daemon their steps ran on. Their steps are
// over: the later stages that depend on them find them in the daemon's
// cache.
func (c *carrier) built(stage string) []MountResult {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = map[string]bool{}
	}
	c.done[stage] = true
	var ready []MountResult
	for _, id := range c.order {
		m := c.byID[id]
		if m.handed || m.inside || !slices.Contains(m.res.Stages, stage) ||
			slices.ContainsFunc(m.res.Stages, func(s string) bool { return !c.done[s] }) {
			continue
		}
		r := m.res
		r.ranOn = slices.Clone(r.ranOn)
		if saveOn(&r, nil) == nil {
			continue // not saved, or from no one known daemon: Saver.Wait sees to it
		}
		m.handed = true
		ready = append(ready, r)
	}
	return ready
}

// results are the mounts in plan order.
func (c *carrier) results() []MountResult {
	if c == nil {
		return []MountResult{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]MountResult, len(c.order))
	for i, id := range c.order {
		out[i] = c.byID[id].res
		out[i].ranOn = slices.Clone(out[i].ranOn)
	}
	return out
}

// watch looks at the progress of a solve on s for steps running, not from
// the cache, with carried mounts (steps says which mounts its steps use).
// It marks those mounts as run with and returns the ones not restored
// there yet (a restore another stage began included: the step would see
// half the files, or, as the restore holds the directory locked, a new
// empty one), and whether a step using them is running now (it started; a
// step only seen done has already run).
func (c *carrier) watch(s Solver, st *client.SolveStatus, steps *stepMounts) (restore []string, running bool) {
	for _, v := range st.Vertexes {
		if v.Started == nil || v.Cached || v.Error != "" {
			continue
		}
		ids := c.usedBy(v, steps)
		c.mu.Lock()
		for _, id := range ids {
			m := c.byID[id]
			m.res.Ran = true
			if !slices.Contains(m.res.ranOn, s) {
				m.res.ranOn = append(m.res.ranOn, s)
			}
			if m.unrestored(s) && !slices.Contains(restore, id) {
				restore = append(restore, id)
				running = running || v.Completed == nil
			}
		}
		c.mu.Unlock()
	}
	return restore, running
}

// usedBy are the carried mounts the step of vertex v runs with, read from
// its solve's LLB by the vertex's digest. When the LLB is not known, or
// the step mounts an ID the plan does not know, every carried mount is
// assumed used: a restore too many costs time, one too few a cold step.
func (c *carrier) usedBy(v *client.Vertex, steps *stepMounts) []string {
	ids, unknown := steps.of(v)
	var out []string
	for _, id := range ids {
		m, known := c.byID[id]
		unknown = unknown || !known
		if known && m.carried {
			out = append(out, id)
		}
	}
	if unknown {
		return c.carriedIDs()
	}
	return out
}

func (c *carrier) carriedIDs() []string {
	var ids []string
	for _, id := range c.order {
		if c.byID[id].carried {
			ids = append(ids, id)
		}
	}
	return ids
}

// JoinMounts joins the mounts of builds of one plan, each for its own
// platform (a Pool's), into one result per cache ID, in the order the
// first build lists them: the mount ran when a step ran with it in any of
// them, on every daemon any ran it on (SaveMounts saves it only from one);
// its restore is the first build's unless that one needed none.
func JoinMounts(builds ...[]MountResult) []MountResult {
	out := []MountResult{}
	byID := map[string]int{}
	for _, mounts := range builds {
		for _, m := range mounts {
			i, ok := byID[m.ID]
			if !ok {
				byID[m.ID] = len(out)
				m.ranOn = slices.Clone(m.ranOn)
				out = append(out, m)
				continue
			}
			j := &out[i]
			if j.Restore == NotNeeded && m.Restore != NotNeeded {
				j.Restore, j.Source, j.SourceDigest, j.SourceSize, j.RestoreTime = m.Restore, m.Source, m.SourceDigest, m.SourceSize, m.RestoreTime
				j.sourceLayers = m.sourceLayers
			}
			for _, s := range m.Stages {
				if !slices.Contains(j.Stages, s) {
					j.Stages = append(j.Stages, s)
				}
			}
			for _, s := range m.ranOn {
				if !slices.Contains(j.ranOn, s) {
					j.ranOn = append(j.ranOn, s)
				}
			}
			j.Ran = j.Ran || m.Ran
			j.Note = joinNotes(j.Note, m.Note)
		}
	}
	return out
}
