package planner

import (
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cairn-build/cairn/internal/dfparse"
)

// planner plans the targets of one parsed Dockerfile.
type planner struct {
	df    *dockerfile
	opts  Options
	pf    dfparse.Platforms // the one platform planned for
	refs  [][]ref           // COPY --from and RUN --mount sources per stage
	nodes int               // size of BuildKit's state list, for index references
	// resolutions are cached by TARGETSTAGE value; shared is set when no
	// expansion reads TARGETSTAGE, so one resolution serves every target.
	resolutions map[string]*resolution
	shared      *resolution
}

// newPlanner plans for the first of opts.Platforms (see Options for the
// defaults).
func newPlanner(df *dockerfile, opts Options) *planner {
	var target ocispecs.Platform
	if len(opts.Platforms) > 0 {
		target = opts.Platforms[0]
	}
	pf := dfparse.ResolvePlatforms(target, opts.BuildPlatform, defaultPlatform())
	return &planner{df: df, opts: opts, pf: pf, resolutions: map[string]*resolution{}}
}

// plan runs the checks in the order dockerfile2llb does, so that a broken
// Dockerfile fails with the error BuildKit would report first.
func (p *planner) plan() (*Plan, error) {
	reqs := p.requests()
	first, err := p.resolution(reqs[0].stage)
	if err != nil {
		return nil, err
	}
	if err := p.resolveTargets(reqs); err != nil {
		return nil, err
	}
	if p.refs, p.nodes, err = p.df.collectRefs(); err != nil {
		return nil, err
	}
	if err := p.df.checkCycles(p.refs); err != nil {
		return nil, err
	}
	if err := p.df.checkBaseImages(first); err != nil {
		return nil, err
	}
	if err := p.df.checkRefImages(p.refs); err != nil {
		return nil, err
	}
	a := newAssembly(p.df, p.opts, p.pf)
	for _, req := range reqs {
		if err := p.planTarget(a, req, first); err != nil {
			return nil, err
		}
	}
	return a.plan(), nil
}

// planTarget adds one target to the plan.
func (p *planner) planTarget(a *assembly, req request, first *resolution) error {
	r, err := p.resolution(req.stage)
	if err != nil {
		return err
	}
	if r != first {
		if err := p.df.checkBaseImages(r); err != nil {
			return err
		}
	}
	g, err := p.graph(r, req.index)
	if err != nil {
		return err
	}
	return a.add(req, r, g)
}

// resolution returns the stage bases for a TARGETSTAGE value.
func (p *planner) resolution(stage string) (*resolution, error) {
	if p.shared != nil {
		return p.shared, nil
	}
	if r, ok := p.resolutions[stage]; ok {
		return r, nil
	}
	r, err := p.df.resolveBases(p.pf, stage, p.opts.BuildArgs)
	if err != nil {
		return nil, err
	}
	if !r.usesTargetStage {
		p.shared = r
	}
	p.resolutions[stage] = r
	return r, nil
}
