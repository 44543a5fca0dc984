package planner

import (
	"github.com/cairn-build/cairn/internal/dfparse"

	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

// CacheMount is one RUN --mount=type=cache of a stage, with the cache ID
// BuildKit keys its persistent directory by.
type CacheMount struct {
	// ID is the cache ID exactly as dockerfile2llb puts it in the LLB:
	// BUILDKIT_CACHE_MOUNT_NS + "/" + (id= or the cleaned target as
	// written). So `target=/root/.cache` has ID "//root/.cache", `id=gomod`
	// has "/gomod", and a relative target is not joined to the WORKDIR.
	ID string `json:"id"`
	// Target is the mount point: relative targets joined to the WORKDIR.
	// It stays relative when the WORKDIR comes from a base image.
	Target  string  `json:"target"`
	Sharing string  `json:"sharing"` // shared (the default), private or locked
	UID     *uint64 `json:"uid,omitempty"`
	GID     *uint64 `json:"gid,omitempty"`
	Mode    string  `json:"mode,omitempty"` // octal, "0755"
	From    string  `json:"from,omitempty"`
	Source  string  `json:"source,omitempty"`
	Line    int     `json:"line"` // line of the RUN (of the FROM for an ONBUILD trigger)
	// Carried reports whether the directory's contents travel between
	// runners in Snapshot: BuildKit must key it by ID alone, cairn must
	// know the ID, and the policy must want it. Reason says why not. In a
	// read-only build (Options.CacheMountsReadOnly) a carried mount has no
	// Snapshot: it is restored from Fallbacks, which begin with its own
	// ref, and saved nowhere.
	Carried   bool     `json:"carried"`
	Reason    string   `json:"reason,omitempty"`
	Snapshot  string   `json:"snapshot,omitempty"` // ref of its registry snapshot
	Fallbacks []string `json:"fallbacks"`          // refs restored from when Snapshot is missing; never null
}

// cacheNSArg is the build arg dockerui reads the cache ID namespace from.
const cacheNSArg = "BUILDKIT_CACHE_MOUNT_NS"

// cacheMounts lists stage i's cache mounts; ref and fallbacks come from
// the options.
func (s *mountScan) cacheMounts(i int) []CacheMount {
	unset, set := s.stage(i, worldUnset), s.stage(i, worldSet)
	out := []CacheMount{}
	for k, a := range unset.runs {
		out = append(out, s.combine(a, set.runs[k], unset.broken)...)
	}
	for k := range out {
		s.applyPolicy(&out[k])
	}
	return out
}

// combine compares one RUN's mounts in both worlds.
func (s *mountScan) combine(a, b runMounts, broken string) []CacheMount {
	unknown := ""
	if len(a.unknown) > 0 {
		unknown = fmt.Sprintf("depends on %s, which the Dockerfile does not set (the base image's ENV may)", dollars(a.unknown))
	}
	if len(a.evals) == 0 {
		if len(b.evals) == 0 {
			if !a.cache {
				return nil
			}
			return []CacheMount{{Line: a.line, Sharing: string(instructions.MountSharingShared), Fallbacks: []string{},
				Reason: join("cannot evaluate the --mount options: "+a.err.Error(), unknown)}}
		}
		// Only image variables make it parse: list it, trust none of it.
		a.evals, a.workdir, b.evals = b.evals[:1], b.workdir, nil
	}
	var out []CacheMount
	for k, m := range a.evals[0] {
		cache := m.Type == instructions.MountTypeCache
		for _, e := range b.evals {
			cache = cache || e[k].Type == instructions.MountTypeCache
		}
		if !cache {
			continue
		}
		cm := s.mount(m, a.workdir, a.line)
		certain, sameTarget := len(b.evals) > 0, true
		for _, e := range b.evals {
			other := s.mount(e[k], b.workdir, b.line)
			certain = certain && e[k].Type == m.Type && sameKey(cm, other)
			sameTarget = sameTarget && cm.Target == other.Target
		}
		switch {
		case broken != "":
			cm.Reason = broken
		case !certain:
			cm.Reason = unknown
			if cm.Reason == "" {
				cm.Reason = "cannot evaluate the mount options"
			}
		}
		if !sameTarget {
			cm.Target = m.Target // relative to the base image's WORKDIR, or made of its ENV
		}
		out = append(out, cm)
	}
	return out
}

// mount describes m the way dispatchRunMounts turns it into an LLB mount.
func (s *mountScan) mount(m *instructions.Mount, workdir string, line int) CacheMount {
	cm := CacheMount{
		ID:        dfparse.CacheID(m, s.opts.BuildArgs[cacheNSArg]),
		Target:    m.Target,
		Sharing:   string(instructions.MountSharingShared),
		UID:       m.UID,
		GID:       m.GID,
		From:      m.From,
		Source:    m.Source,
		Line:      line,
		Fallbacks: []string{},
	}
	if m.CacheSharing != "" {
		cm.Sharing = string(m.CacheSharing)
	}
	if m.Mode != nil {
		cm.Mode = fmt.Sprintf("%#o", *m.Mode)
	}
	if !path.IsAbs(path.Clean(m.Target)) {
		cm.Target = path.Join("/", workdir, m.Target)
	}
	cm.Reason = s.keyedByMore(cm)
	return cm
}

// keyedByMore says why BuildKit keys the directory by more than its ID, or
// "". The cache manager (solver/llbsolver/mounts, getRefCacheDir) appends
// the ID of the mount's input snapshot to the key whenever there is one:
// for from=, for a stage named scratch (what BuildKit mounts when from= is
// unset), and for uid/gid/mode without source=, which make BuildKit create
// the directory in a snapshot of its own. That snapshot's ID differs on
// every runner, so such a directory cannot be carried.
func (s *mountScan) keyedByMore(cm CacheMount) string {
	from := cm.From
	if from == "" {
		from = dfparse.Scratch
	}
	if _, ok := s.df.Stage(from); ok {
		if cm.From == "" {
			return "a stage named scratch seeds it (BuildKit mounts that stage when from= is unset), so BuildKit keys it by that snapshot too"
		}
		return fmt.Sprintf("from=%s seeds it, so BuildKit keys it by that stage's snapshot too", cm.From)
	}
	if from != dfparse.Scratch {
		return fmt.Sprintf("from=%s seeds it, so BuildKit keys it by that image's snapshot too", cm.From)
	}
	if path.Join("/", cm.Source) == "/" && (cm.UID != nil || cm.GID != nil || cm.Mode != "") {
		return "uid/gid/mode make BuildKit create the directory in a snapshot of its own and key it by that snapshot too"
	}
	if cm.Target == "/" {
		return "invalid mount target /"
	}
	return ""
}

// sameKey reports whether two evaluations name the same directory the same
// way.
func sameKey(a, b CacheMount) bool {
	return a.ID == b.ID && a.Sharing == b.Sharing && a.From == b.From && a.Source == b.Source &&
		a.Mode == b.Mode && eqPtr(a.UID, b.UID) && eqPtr(a.GID, b.GID)
}

func eqPtr(a, b *uint64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// applyPolicy fills in the snapshot refs and decides Carried.
func (s *mountScan) applyPolicy(cm *CacheMount) {
	if cm.Reason != "" {
		return
	}
	if s.opts.CacheMountSkip != nil {
		if cm.Reason = s.opts.CacheMountSkip(cm.ID); cm.Reason != "" {
			return
		}
	}
	if s.opts.CacheMountRef != nil {
		cm.Snapshot = s.opts.CacheMountRef(cm.ID)
	}
	if cm.Snapshot == "" {
		cm.Reason = "no snapshot ref"
		return
	}
	if s.opts.CacheMountFallbacks != nil {
		cm.Fallbacks = appendUnique(cm.Fallbacks, s.opts.CacheMountFallbacks(cm.ID)...)
	}
	cm.Carried = true
}

// markSnapshotClashes stops carrying mounts whose different IDs share a
// snapshot ref (the ref template may fold IDs together): each save would
// overwrite the other's contents.
func markSnapshotClashes(stages []StagePlan) {
	ids := map[string][]string{} // snapshot → IDs carried in it
	for _, s := range stages {
		for _, m := range s.CacheMounts {
			if m.Carried && !slices.Contains(ids[m.Snapshot], m.ID) {
				ids[m.Snapshot] = append(ids[m.Snapshot], m.ID)
			}
		}
	}
	for i := range stages {
		for k := range stages[i].CacheMounts {
			m := &stages[i].CacheMounts[k]
			if !m.Carried || len(ids[m.Snapshot]) < 2 {
				continue
			}
			others := slices.DeleteFunc(slices.Clone(ids[m.Snapshot]), func(id string) bool { return id == m.ID })
			m.Carried = false
			m.Reason = fmt.Sprintf("snapshot ref %s also serves mount ID %s", m.Snapshot, strings.Join(others, ", "))
			m.Snapshot, m.Fallbacks = "", []string{}
		}
	}
}

// readOnlySnapshots makes every carried mount restore-only: its snapshot
// ref becomes its first fallback, and nothing is saved.
func readOnlySnapshots(stages []StagePlan) {
	for i := range stages {
		for k := range stages[i].CacheMounts {
			m := &stages[i].CacheMounts[k]
			if m.Carried {
				m.Fallbacks = appendUnique([]string{m.Snapshot}, m.Fallbacks...)
				m.Snapshot = ""
			}
		}
	}
}

func dollars(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "$" + n
	}
	return strings.Join(out, ", ")
}

func join(a, b string) string {
	if b == "" {
		return a
	}
	return a + "; " + b
}

// mountScans are the scans of one plan: one per TARGETSTAGE value, or a
// single one when no stage can read TARGETSTAGE.
type mountScans struct {
	perTarget bool
	byStage   map[string]*mountScan
}

// cacheMounts lists stage i's cache mounts, evaluated with the global ARGs
// of the first target that needed it (they differ only by TARGETSTAGE).
func (a *assembly) cacheMounts(i int, e *stageEntry) []CacheMount {
	if a.mounts == nil {
		a.mounts = &mountScans{perTarget: a.df.readsTargetStage(a.pf, a.opts.BuildArgs, e.stage), byStage: map[string]*mountScan{}}
	}
	key := ""
	if a.mounts.perTarget {
		key = e.stage
	}
	s, ok := a.mounts.byStage[key]
	if !ok {
		global, _, err := a.df.globalArgs(a.pf, e.stage, a.opts.BuildArgs)
		if err != nil {
			global = dfparse.NewEnv() // unreachable: resolving the bases expanded them
		}
		s = &mountScan{df: a.df, opts: a.opts, global: global, memo: map[[2]int]*stageEnv{},
			bases: func(j int) dfparse.Base { return a.stages[j].base }}
		a.mounts.byStage[key] = s
	}
	return s.cacheMounts(i)
}

// readsTargetStage reports whether a stage's commands may see TARGETSTAGE:
// a global ARG made from it, or a stage (or ONBUILD) ARG naming it.
func (df *dockerfile) readsTargetStage(pf dfparse.Platforms, buildArgs map[string]string, stage string) bool {
	if _, used, err := df.globalArgs(pf, stage, buildArgs); err != nil || used {
		return true
	}
	for _, st := range df.Stages {
		for _, c := range st.Commands {
			switch c := c.(type) {
			case *instructions.ArgCommand:
				if slices.ContainsFunc(c.Args, func(kv instructions.KeyValuePairOptional) bool { return kv.Key == dfparse.TargetStage }) {
					return true
				}
			case *instructions.OnbuildCommand:
				if strings.Contains(c.Expression, dfparse.TargetStage) {
					return true
				}
			}
		}
	}
	return false
}

// writeCacheMounts writes the cache mount table, if any stage has a cache
// mount. NOTE says why a mount is not carried, or where it falls back to.
func (p *Plan) writeCacheMounts(w io.Writer) error {
	if !slices.ContainsFunc(p.Stages, func(s StagePlan) bool { return len(s.CacheMounts) > 0 }) {
		return nil
	}
	var b strings.Builder
	b.WriteByte('\n')
	tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tMOUNT ID\tTARGET\tSHARING\tSNAPSHOT\tNOTE")
	for _, s := range p.Stages {
		for _, m := range s.CacheMounts {
			note := m.Reason
			switch {
			case m.Carried && m.Snapshot == "":
				note = "read-only: restored from " + strings.Join(m.Fallbacks, ",")
			case m.Carried && len(m.Fallbacks) > 0:
				note = "fallback " + strings.Join(m.Fallbacks, ",")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, orDash(m.ID), orDash(m.Target), m.Sharing, orDash(m.Snapshot), orDash(note))
		}
	}
	_ = tw.Flush() // a strings.Builder does not fail
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write cache mount table: %w", err)
	}
	return nil
}

// globalArgs are the automatic platform ARGs and the global ARGs for a
// TARGETSTAGE value, as the stages' commands see them.
func (df *dockerfile) globalArgs(pf dfparse.Platforms, stage string, buildArgs map[string]string) (*dfparse.Env, bool, error) {
	env := dfparse.AutoArgs(pf, stage, buildArgs)
	used, err := df.GlobalArgs(env, buildArgs, df.expand)
	return env, used, err
}
