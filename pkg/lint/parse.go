package lint

import (
	"errors"
	"fmt"

	"github.com/cairn-build/cairn/internal/dfparse"
)

// dockerfile is a parsed Dockerfile with the stage graph the rules need.
type dockerfile struct {
	*dfparse.Dockerfile
	// bases holds each stage's FROM with global ARGs expanded (Name ""
	// when expansion failed) and the earlier stage it names (Stage, or -1).
	bases []dfparse.Base
	final int // the stage that is the final image
}

// parse runs BuildKit's parser and instruction parser over dt, finds the
// final stage and resolves every stage's base.
func parse(dt []byte, opts *Options) (*dockerfile, error) {
	file := opts.Filename
	parsed, err := dfparse.Parse(file, dt)
	switch {
	case errors.Is(err, dfparse.ErrEmpty):
		return nil, &ParseError{File: file, Msg: err.Error()}
	case err != nil:
		return nil, parseErr(file, "parse Dockerfile", err)
	}
	df := &dockerfile{Dockerfile: parsed}
	if df.final, err = df.lookupTarget(opts.Target); err != nil {
		return nil, err
	}
	df.resolveBases(opts.BuildArgs)
	return df, nil
}

// resolveBases expands every stage's FROM as BuildKit does, with its
// automatic ARGs for the fixed lint platform and the final stage, then the
// global ARGs. An ARG or FROM that fails to expand is left out: BuildKit's
// own checks report it.
func (df *dockerfile) resolveBases(buildArgs map[string]string) {
	stage := df.Stages[df.final].Name
	if stage == "" {
		stage = "default"
	}
	env := dfparse.AutoArgs(dfparse.Platforms{Target: lintPlatform(), Build: lintPlatform()}, stage, buildArgs)
	_, _ = df.GlobalArgs(env, buildArgs, df.Expand)
	df.bases = make([]dfparse.Base, len(df.Stages))
	for i := range df.Stages {
		df.bases[i], _ = df.ResolveBase(i, env, df.Expand)
	}
}

// lookupTarget finds the final stage: target by AS name (any case) or
// index, the last stage when target is "".
func (df *dockerfile) lookupTarget(target string) (int, error) {
	if target == "" {
		return len(df.Stages) - 1, nil
	}
	if i, ok := df.Target(target); ok {
		return i, nil
	}
	return 0, fmt.Errorf("lint: %s: unknown target %q", df.File, target)
}

// chain is stage i followed by the stages it is built FROM, nearest first.
func (df *dockerfile) chain(i int) []int {
	out := []int{i}
	for df.bases[i].Stage >= 0 {
		i = df.bases[i].Stage
		out = append(out, i)
	}
	return out
}
