package planner

import (
	"github.com/cairn-build/cairn/internal/dfparse"
)

// resolution is the ARG-dependent part of a plan: every stage's base.
// It depends on TARGETSTAGE, so it may differ between targets.
type resolution struct {
	bases []dfparse.Base
	// usesTargetStage reports whether any expansion read TARGETSTAGE; if
	// not, one resolution serves every target.
	usesTargetStage bool
}

// resolveBases mirrors dockerfile2llb's defaultArgs, buildMetaArgs and
// buildDispatchStates: the automatic ARGs for the platforms, then the
// global ARGs, then every stage's FROM and --platform expanded with them.
func (df *dockerfile) resolveBases(pf dfparse.Platforms, stage string, buildArgs map[string]string) (*resolution, error) {
	env := dfparse.AutoArgs(pf, stage, buildArgs)
	used, err := df.GlobalArgs(env, buildArgs, df.expand)
	if err != nil {
		return nil, err
	}
	r := &resolution{bases: make([]dfparse.Base, len(df.Stages)), usesTargetStage: used}
	for i := range df.Stages {
		b, err := df.ResolveBase(i, env, df.expand)
		if err != nil {
			return nil, err
		}
		r.bases[i] = b
		r.usesTargetStage = r.usesTargetStage || b.UsedTargetStage
	}
	return r, nil
}

// sameBase reports whether two resolutions of a stage's FROM agree.
func sameBase(a, b dfparse.Base) bool {
	return a.Name == b.Name && a.Stage == b.Stage && a.Platform == b.Platform
}
