package dfparse

import (
	"fmt"

	"github.com/containerd/platforms"
)

// Scratch is the empty base image; BuildKit never pulls it.
const Scratch = "scratch"

// Base is a stage's FROM after ARG expansion.
type Base struct {
	Name     string // expanded FROM argument; "" when it did not expand
	Stage    int    // index of the earlier stage it names, or -1 for an image
	Platform string // expanded --platform, "" if none
	// UsedTargetStage reports whether the expansion read TARGETSTAGE.
	UsedTargetStage bool
}

// ResolveBase mirrors dockerfile2llb's buildDispatchStates for stage i: it
// expands the FROM and its --platform with the global ARGs in env. A FROM
// names a stage only if an earlier stage has exactly that (lowercase) AS
// name, the last such stage winning; a later or own name is an image, as
// in BuildKit. On error the Base holds what was resolved before it: Name
// and Stage when only --platform failed.
func (df *Dockerfile) ResolveBase(i int, env *Env, expand Expander) (Base, error) {
	st, line := df.Stages[i], df.StageLine(i)
	b := Base{Stage: -1}
	res, err := expand(st.BaseName, env)
	if err != nil {
		return b, Wrap(df.File, line, "expand FROM", err)
	}
	if res.Result == "" {
		return b, Errorf(df.File, line, "base name (%s) should not be blank", st.BaseName)
	}
	_, b.UsedTargetStage = res.Matched[TargetStage]
	b.Name = res.Result
	for j := i - 1; j >= 0; j-- {
		if df.Stages[j].Name == b.Name {
			b.Stage = j
			break
		}
	}
	if st.Platform == "" {
		return b, nil
	}
	pres, err := expand(st.Platform, env)
	if err != nil {
		return b, Wrap(df.File, line, "failed to process arguments for platform "+st.Platform, err)
	}
	if pres.Result == "" {
		return b, Errorf(df.File, line, "empty platform value from expression %s", st.Platform)
	}
	if _, err := platforms.Parse(pres.Result); err != nil {
		return b, Wrap(df.File, line, fmt.Sprintf("failed to parse platform %s", st.Platform), err)
	}
	_, usedP := pres.Matched[TargetStage]
	b.UsedTargetStage = b.UsedTargetStage || usedP
	b.Platform = pres.Result
	return b, nil
}
