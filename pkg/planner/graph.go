package planner

import "github.com/cairn-build/cairn/internal/dfparse"

// targetGraph is what one target needs.
type targetGraph struct {
	stages []int         // reachable stages in Dockerfile order, the target last
	deps   map[int][]int // direct stage dependencies of each, Dockerfile order
	images map[int][]string
}

// graph finds the stages target needs under resolution r, mirroring
// dockerfile2llb's reachability (FROM, COPY --from, RUN --mount from= and
// the base stage's ONBUILD triggers) and its dispatch-time rule that a
// reachable stage may only copy or mount from an earlier stage.
func (p *planner) graph(r *resolution, target int) (*targetGraph, error) {
	edges, err := p.reach(r, target)
	if err != nil {
		return nil, err
	}
	g := &targetGraph{deps: make(map[int][]int, len(edges)), images: make(map[int][]string, len(edges))}
	for i := range p.df.Stages {
		rs, ok := edges[i]
		if !ok {
			continue
		}
		deps, err := p.directDeps(i, r.bases[i], rs)
		if err != nil {
			return nil, err
		}
		g.stages = append(g.stages, i)
		g.deps[i] = deps
		g.images[i] = refImages(rs)
	}
	return g, nil
}

// refImages are the images sources name (not scratch, which BuildKit
// never pulls), each once, in order: never nil.
func refImages(rs []ref) []string {
	images := []string{}
	for _, x := range rs {
		if x.stage < 0 && x.image != "" && x.image != dfparse.Scratch {
			images = appendUnique(images, x.image)
		}
	}
	return images
}

// reach walks the stages target needs and returns each one's sources
// (ONBUILD trigger sources first, as BuildKit prepends them).
func (p *planner) reach(r *resolution, target int) (map[int][]ref, error) {
	edges := map[int][]ref{}
	stack := []int{target}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if _, ok := edges[i]; ok {
			continue
		}
		trig, err := p.df.triggers(i, r.bases[i], p.nodes)
		if err != nil {
			return nil, err
		}
		if err := p.df.checkRefImages([][]ref{trig}); err != nil {
			return nil, err
		}
		rs := append(trig, p.refs[i]...)
		edges[i] = rs
		if b := r.bases[i].Stage; b >= 0 {
			stack = append(stack, b)
		}
		for _, x := range rs {
			if x.stage >= 0 && !(x.implicit && x.stage > i) {
				stack = append(stack, x.stage)
			}
		}
	}
	return edges, nil
}

// directDeps returns stage i's stage dependencies in Dockerfile order, or
// BuildKit's error for a source defined after stage i.
func (p *planner) directDeps(i int, b dfparse.Base, rs []ref) ([]int, error) {
	seen := make(map[int]bool, len(rs)+1)
	if b.Stage >= 0 {
		seen[b.Stage] = true
	}
	for _, x := range rs {
		switch {
		case x.stage < 0, x.stage == i:
			// Images are no stage dependency; a stage naming itself is a
			// cycle, rejected earlier, or an ONBUILD trigger, dropped.
			continue
		case x.stage > i && x.implicit:
			// Only a cache mount would use a later stage named "scratch".
			continue
		case x.stage > i && x.mount:
			return nil, errorf(p.df.File, x.line, "cannot mount from stage %q, stage needs to be defined before current command", x.from)
		case x.stage > i:
			return nil, errorf(p.df.File, x.line, "cannot copy from stage %q, it needs to be defined before current stage %q", x.from, p.df.Names[i])
		}
		seen[x.stage] = true
	}
	deps := make([]int, 0, len(seen))
	for j := 0; j < i && len(deps) < len(seen); j++ {
		if seen[j] {
			deps = append(deps, j)
		}
	}
	return deps, nil
}
