package planner

import (
	"fmt"

	"github.com/containerd/platforms"
)

// scratch is the empty base image; BuildKit never pulls it.
const scratch = "scratch"

// base is a stage's FROM after ARG expansion.
type base struct {
	name     string // expanded FROM argument
	stage    int    // index of the stage it names, or -1 for an image
	platform string // expanded --platform, "" if none
}

// resolution is the ARG-dependent part of a plan: every stage's base.
// It depends on TARGETSTAGE, so it may differ between targets.
type resolution struct {
	bases []base
	// usesTargetStage reports whether any expansion read TARGETSTAGE; if
	// not, one resolution serves every target.
	usesTargetStage bool
}

// resolveBases mirrors dockerfile2llb's buildDispatchStates: it expands
// every stage's FROM and --platform with the global ARGs. A FROM names a
// stage only if an earlier stage has exactly that (lowercase) AS name; a
// later or own name is an image, as in BuildKit.
func (df *dockerfile) resolveBases(stage string, buildArgs map[string]string) (*resolution, error) {
	env, used, err := df.globalArgs(stage, buildArgs)
	if err != nil {
		return nil, err
	}
	r := &resolution{bases: make([]base, len(df.stages)), usesTargetStage: used}
	for i := range df.stages {
		b, used, err := df.resolveBase(i, env)
		if err != nil {
			return nil, err
		}
		r.bases[i] = b
		r.usesTargetStage = r.usesTargetStage || used
	}
	return r, nil
}

// resolveBase expands stage i's FROM line.
func (df *dockerfile) resolveBase(i int, env *argEnv) (base, bool, error) {
	st, line := df.stages[i], df.stageLine(i)
	res, err := df.expand(st.BaseName, env)
	if err != nil {
		return base{}, false, wrapErr(df.file, line, "expand FROM", err)
	}
	if res.Result == "" {
		return base{}, false, errorf(df.file, line, "base name (%s) should not be blank", st.BaseName)
	}
	_, used := res.Matched[targetStage]
	b := base{name: res.Result, stage: -1}
	if j, ok := df.byName[res.Result]; ok && j < i {
		b.stage = j
	}
	if st.Platform == "" {
		return b, used, nil
	}
	pres, err := df.expand(st.Platform, env)
	if err != nil {
		return base{}, false, wrapErr(df.file, line, "failed to process arguments for platform "+st.Platform, err)
	}
	if pres.Result == "" {
		return base{}, false, errorf(df.file, line, "empty platform value from expression %s", st.Platform)
	}
	if _, err := platforms.Parse(pres.Result); err != nil {
		return base{}, false, wrapErr(df.file, line, fmt.Sprintf("failed to parse platform %s", st.Platform), err)
	}
	_, usedP := pres.Matched[targetStage]
	b.platform = pres.Result
	return b, used || usedP, nil
}
