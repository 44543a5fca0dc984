package planner

import (
	"slices"

	"github.com/cairn-build/cairn/internal/dfparse"
)

// assembly merges the graphs of every target into one Plan.
type assembly struct {
	df      *dockerfile
	opts    Options
	stages  []*stageEntry // by stage index; nil when no target needs it
	targets []TargetPlan
	mounts  *mountScans
	pf      dfparse.Platforms // the platform planned for, for the cache mounts' ARGs
}

// stageEntry is a stage some target needs.
type stageEntry struct {
	base   dfparse.Base
	deps   []int
	images []string // see StagePlan.Images
	tags   []string
	target string // first target that needed it, for conflict errors
	stage  string // its TARGETSTAGE value
}

func newAssembly(df *dockerfile, opts Options, pf dfparse.Platforms) *assembly {
	return &assembly{df: df, opts: opts, pf: pf, stages: make([]*stageEntry, len(df.Stages))}
}

// add records one target's graph. A stage shared by targets must resolve
// the same way for each; it can only differ through TARGETSTAGE.
func (a *assembly) add(req request, r *resolution, g *targetGraph) error {
	name := a.df.Names[req.index]
	if !a.standalone(req.index) {
		return errorf(a.df.File, a.df.StageLine(req.index), "stage %s has no name: BuildKit builds only named stages and the last one as targets (name it: FROM … AS name)", name)
	}
	for _, i := range g.stages {
		e := a.stages[i]
		if e == nil {
			a.stages[i] = &stageEntry{base: r.bases[i], deps: g.deps[i], images: g.images[i], target: name, stage: req.stage}
			continue
		}
		if !sameBase(e.base, r.bases[i]) || !slices.Equal(e.deps, g.deps[i]) {
			return errorf(a.df.File, a.df.StageLine(i), "stage %q resolves differently for targets %q and %q (TARGETSTAGE)", a.df.Names[i], e.target, name)
		}
	}
	e := a.stages[req.index]
	e.tags = appendUnique(e.tags, req.Tags...)
	tp := TargetPlan{Name: name, Stages: make([]string, len(g.stages)), Tags: appendUnique([]string{}, req.Tags...), Push: req.Push}
	for k, i := range g.stages {
		tp.Stages[k] = a.df.Names[i]
	}
	a.targets = append(a.targets, tp)
	return nil
}

// plan builds the Plan: levels and cache refs need every stage's deps.
func (a *assembly) plan() *Plan {
	p := &Plan{Targets: a.targets, Stages: []StagePlan{}, CacheReadOnly: a.opts.CacheReadOnly}
	levels := make([]int, len(a.stages))
	closure := make([][]bool, len(a.stages)) // transitive stage deps
	for i, e := range a.stages {
		if e == nil {
			continue
		}
		closure[i] = make([]bool, len(a.stages))
		for _, d := range e.deps {
			levels[i] = max(levels[i], levels[d]+1)
			closure[i][d] = true
			for j, ok := range closure[d] {
				closure[i][j] = closure[i][j] || ok
			}
		}
		p.Stages = append(p.Stages, a.stagePlan(i, e, levels[i], closure[i]))
	}
	markSnapshotClashes(p.Stages)
	if a.opts.CacheMountsReadOnly {
		readOnlySnapshots(p.Stages)
	}
	return p
}

// stagePlan renders one stage.
func (a *assembly) stagePlan(i int, e *stageEntry, level int, closure []bool) StagePlan {
	name := a.df.Names[i]
	sp := StagePlan{
		Name:         name,
		Index:        i,
		Base:         e.base.Name,
		BaseIsStage:  e.base.Stage >= 0,
		Platform:     e.base.Platform,
		DependsOn:    make([]string, len(e.deps)),
		Images:       e.images,
		Level:        level,
		CacheImports: []string{},
		Tags:         appendUnique([]string{}, e.tags...),
		Line:         a.df.StageLine(i),
		Standalone:   a.standalone(i),
		CacheMounts:  a.cacheMounts(i, e),
	}
	if sp.Standalone {
		sp.CacheRef = a.cacheRef(name)
	}
	if !a.opts.CacheReadOnly {
		sp.CacheExport = sp.CacheRef
	}
	for k, d := range e.deps {
		sp.DependsOn[k] = a.df.Names[d]
	}
	sp.CacheImports = appendUnique(sp.CacheImports, sp.CacheRef)
	for j, ok := range closure {
		if ok && a.standalone(j) {
			sp.CacheImports = appendUnique(sp.CacheImports, a.cacheRef(a.df.Names[j]))
		}
	}
	if a.opts.CacheFallbacks != nil {
		sp.CacheImports = appendUnique(sp.CacheImports, a.opts.CacheFallbacks(name)...)
	}
	return sp
}

// standalone reports whether BuildKit can build stage i as a target.
func (a *assembly) standalone(i int) bool {
	return a.df.Stages[i].Name != "" || i == len(a.df.Stages)-1
}

func (a *assembly) cacheRef(stage string) string {
	if a.opts.CacheRef == nil {
		return ""
	}
	return a.opts.CacheRef(stage)
}

// appendUnique appends the non-empty values not already in list.
func appendUnique(list []string, values ...string) []string {
	for _, v := range values {
		if v != "" && !slices.Contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}
