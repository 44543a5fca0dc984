package dfparse

import (
	"github.com/containerd/platforms"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// TargetStage is the automatic ARG naming the requested target.
const TargetStage = "TARGETSTAGE"

// Env is an ordered set of ARG values, a shell.EnvGetter. BuildKit uses
// llb.EnvList, which lives in its client package, which the planner must
// not import.
type Env struct {
	keys []string
	vals map[string]string
}

// NewEnv returns an empty Env.
func NewEnv() *Env { return &Env{vals: map[string]string{}} }

// Get returns the value of key.
func (e *Env) Get(key string) (string, bool) {
	v, ok := e.vals[key]
	return v, ok
}

// Keys returns the keys in the order they were first set.
func (e *Env) Keys() []string { return e.keys }

// Set sets key, keeping its place if it was set before.
func (e *Env) Set(key, val string) {
	if _, ok := e.vals[key]; !ok {
		e.keys = append(e.keys, key)
	}
	e.vals[key] = val
}

// Platforms are the platforms a Dockerfile is converted for, after
// defaulting: Target is BuildKit's TargetPlatform, Build the first of its
// BuildPlatforms (the worker's platform).
type Platforms struct {
	Target ocispecs.Platform
	Build  ocispecs.Platform
}

// ResolvePlatforms fills in zero platforms the way dockerfile2llb's
// buildPlatformOpt does: no build platform means the target's, no target
// means the build platform (BuildKit's implicit target), neither means
// fallback. Both are normalized, as BuildKit's dockerui normalizes
// --platform and the worker reports normalized platforms: linux/arm is
// linux/arm/v7, linux/arm64/v8 is linux/arm64.
func ResolvePlatforms(target, build, fallback ocispecs.Platform) Platforms {
	switch {
	case isZero(target) && isZero(build):
		target, build = fallback, fallback
	case isZero(build):
		build = target
	case isZero(target):
		target = build
	}
	return Platforms{Target: platforms.Normalize(target), Build: platforms.Normalize(build)}
}

func isZero(p ocispecs.Platform) bool {
	return p.OS == "" && p.Architecture == "" && p.Variant == "" && p.OSVersion == "" && len(p.OSFeatures) == 0
}

// AutoArgs mirrors dockerfile2llb's defaultArgs: the automatic platform
// ARGs for p and TARGETSTAGE set to stage (BuildKit's is the target, or
// "default" for an unnamed last stage), each overridden by a build arg of
// the same name.
func AutoArgs(p Platforms, stage string, buildArgs map[string]string) *Env {
	b, t := p.Build, p.Target
	defaults := [...][2]string{
		{"BUILDPLATFORM", platforms.Format(b)},
		{"BUILDOS", b.OS},
		{"BUILDOSVERSION", b.OSVersion},
		{"BUILDARCH", b.Architecture},
		{"BUILDVARIANT", b.Variant},
		{"TARGETPLATFORM", platforms.FormatAll(t)},
		{"TARGETOS", t.OS},
		{"TARGETOSVERSION", t.OSVersion},
		{"TARGETARCH", t.Architecture},
		{"TARGETVARIANT", t.Variant},
		{TargetStage, stage},
	}
	env := NewEnv()
	for _, kv := range defaults {
		v, ok := buildArgs[kv[0]]
		if !ok {
			v = kv[1]
		}
		env.Set(kv[0], v)
	}
	return env
}

// GlobalArgs mirrors dockerfile2llb's buildMetaArgs over env (AutoArgs):
// the global ARGs in order, a build arg beating the default, a default
// expanded with the ARGs before it. usedTargetStage reports whether a
// default read TARGETSTAGE. An ARG whose default fails to expand is left
// unset; err is the first such failure, at the ARG's line.
func (df *Dockerfile) GlobalArgs(env *Env, buildArgs map[string]string, expand Expander) (usedTargetStage bool, err error) {
	for _, cmd := range df.Meta {
		for _, kv := range cmd.Args {
			val, used, ok, xerr := argValue(kv, env, buildArgs, expand)
			if xerr != nil && err == nil {
				err = Wrap(df.File, RangeLine(cmd.Location()), "expand ARG "+kv.Key, xerr)
			}
			if !ok {
				continue
			}
			usedTargetStage = usedTargetStage || used
			env.Set(kv.Key, val)
		}
	}
	return usedTargetStage, err
}

// argValue is the value of one global ARG; ok is false when it has none.
func argValue(kv instructions.KeyValuePairOptional, env *Env, buildArgs map[string]string, expand Expander) (val string, used, ok bool, err error) {
	if v, ok := buildArgs[kv.Key]; ok {
		return v, false, true, nil
	}
	if kv.Value == nil {
		return "", false, false, nil
	}
	res, err := expand(*kv.Value, env)
	if err != nil {
		return "", false, false, err
	}
	_, used = res.Matched[TargetStage]
	return res.Result, used, true, nil
}
