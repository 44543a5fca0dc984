package planner

import (
	"strconv"
	"strings"

	"github.com/moby/buildkit/util/suggest"
)

// request is a requested target resolved to a stage.
type request struct {
	Target
	index int    // stage index
	stage string // value of TARGETSTAGE while planning it
}

// requests lists the requested targets, or the default one: the last stage.
func (p *planner) requests() []request {
	ts := p.opts.Targets
	if len(ts) == 0 {
		ts = []Target{{Name: p.df.Names[len(p.df.Stages)-1]}}
	}
	reqs := make([]request, len(ts))
	for i, t := range ts {
		if t.Name == "" {
			t.Name = p.df.Names[len(p.df.Stages)-1] // the default target, with the tags given for it
		}
		reqs[i] = request{Target: t, stage: p.df.targetStageArg(t.Name)}
	}
	return reqs
}

// targetStageArg is the TARGETSTAGE value BuildKit would see for target:
// the target as written, or "default" for an unnamed stage. BuildKit cannot
// target a stage by index; an index stands for the stage's name here.
func (df *dockerfile) targetStageArg(target string) string {
	i, err := strconv.Atoi(target)
	if err != nil || strconv.Itoa(i) != target || i < 0 || i >= len(df.Stages) {
		return target
	}
	if name := df.Stages[i].Name; name != "" {
		return name
	}
	return "default"
}

// resolveTargets finds each requested target's stage.
func (p *planner) resolveTargets(reqs []request) error {
	for i := range reqs {
		idx, ok := p.df.Target(reqs[i].Name)
		if !ok {
			return p.df.unknownTarget(reqs[i].Name)
		}
		reqs[i].index = idx
	}
	return nil
}

// unknownTarget suggests the nearest stage name the way BuildKit does, or
// lists every target when none is near.
func (df *dockerfile) unknownTarget(name string) error {
	if match, ok := suggest.Search(strings.ToLower(name), df.Names, true); ok {
		return errorf(df.File, 0, "unknown target %q (did you mean %q?)", name, match)
	}
	return errorf(df.File, 0, "unknown target %q (available: %s)", name, strings.Join(df.Names, ", "))
}
