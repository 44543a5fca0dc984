package planner

import (
	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/cairn-build/cairn/internal/dfparse"
)

// Platform defaults for the automatic platform ARGs. BuildKit takes them
// from the worker; cairn plans for linux/amd64 unless --build-arg says
// otherwise.
const (
	defaultOS   = "linux"
	defaultArch = "amd64"
	targetStage = "TARGETSTAGE"
)

// argEnv is an ordered set of ARG values, a shell.EnvGetter. BuildKit uses
// llb.EnvList, which lives in the client package the planner must not
// import.
type argEnv struct {
	keys []string
	vals map[string]string
}

func newArgEnv() *argEnv { return &argEnv{vals: map[string]string{}} }

// Get returns the value of key.
func (e *argEnv) Get(key string) (string, bool) {
	v, ok := e.vals[key]
	return v, ok
}

// Keys returns the keys in the order they were first set.
func (e *argEnv) Keys() []string { return e.keys }

func (e *argEnv) set(key, val string) {
	if _, ok := e.vals[key]; !ok {
		e.keys = append(e.keys, key)
	}
	e.vals[key] = val
}

// defaultArgs mirrors dockerfile2llb's defaultArgs: the automatic platform
// ARGs and TARGETSTAGE, each overridable by a build arg.
func defaultArgs(stage string, buildArgs map[string]string) *argEnv {
	platform := defaultOS + "/" + defaultArch
	defaults := [...][2]string{
		{"BUILDPLATFORM", platform},
		{"BUILDOS", defaultOS},
		{"BUILDOSVERSION", ""},
		{"BUILDARCH", defaultArch},
		{"BUILDVARIANT", ""},
		{"TARGETPLATFORM", platform},
		{"TARGETOS", defaultOS},
		{"TARGETOSVERSION", ""},
		{"TARGETARCH", defaultArch},
		{"TARGETVARIANT", ""},
		{targetStage, stage},
	}
	env := newArgEnv()
	for _, kv := range defaults {
		v, ok := buildArgs[kv[0]]
		if !ok {
			v = kv[1]
		}
		env.set(kv[0], v)
	}
	return env
}

// globalArgs mirrors dockerfile2llb's buildMetaArgs: global ARGs in order,
// a build arg beating the default, a default expanded with the ARGs before
// it. used reports whether any default read TARGETSTAGE.
func (df *dockerfile) globalArgs(stage string, buildArgs map[string]string) (env *argEnv, used bool, err error) {
	env = defaultArgs(stage, buildArgs)
	for _, cmd := range df.meta {
		for _, kv := range cmd.Args {
			val, err := df.argValue(kv, env, buildArgs)
			if err != nil {
				return nil, false, wrapErr(df.file, dfparse.RangeLine(cmd.Location()), "expand ARG "+kv.Key, err)
			}
			if val == nil {
				continue
			}
			used = used || val.usedTargetStage
			env.set(kv.Key, val.value)
		}
	}
	return env, used, nil
}

type argValue struct {
	value           string
	usedTargetStage bool
}

// argValue is the value of one global ARG, nil when it has none.
func (df *dockerfile) argValue(kv instructions.KeyValuePairOptional, env *argEnv, buildArgs map[string]string) (*argValue, error) {
	if v, ok := buildArgs[kv.Key]; ok {
		return &argValue{value: v}, nil
	}
	if kv.Value == nil {
		return nil, nil
	}
	res, err := df.expand(*kv.Value, env)
	if err != nil {
		return nil, err
	}
	_, used := res.Matched[targetStage]
	return &argValue{value: res.Result, usedTargetStage: used}, nil
}
