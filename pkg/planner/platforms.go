package planner

import (
	"slices"
	"strings"

	"github.com/containerd/platforms"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cairn-build/cairn/internal/located"
)

// defaultPlatform is planned for when Options name no platform at all.
// A fixed value keeps New a pure function of its input.
func defaultPlatform() ocispecs.Platform {
	return ocispecs.Platform{OS: "linux", Architecture: "amd64"}
}

// planPlatforms plans df for each target platform and returns one plan,
// the first platform's, when every platform's stage graph agrees with it.
func planPlatforms(df *dockerfile, opts Options) (*Plan, error) {
	targets := targetPlatforms(opts.Platforms)
	record := len(opts.Platforms) > 0 || !isZero(opts.BuildPlatform)
	var first *Plan
	var firstName string
	for _, tp := range targets {
		o := opts
		o.Platforms = []ocispecs.Platform{tp}
		pl := newPlanner(df, o)
		name := platforms.FormatAll(pl.pf.Target)
		p, err := pl.plan()
		if err != nil {
			return nil, onPlatform(err, name, len(targets) > 1)
		}
		if first == nil {
			first, firstName = p, name
		} else if err := sameGraph(df, first, p, firstName, name); err != nil {
			return nil, err
		}
		if record {
			first.Platforms = append(first.Platforms, name)
		}
	}
	return first, nil
}

// targetPlatforms normalizes the target platforms and drops repeats; no
// platform is one zero platform, for newPlanner's defaults.
func targetPlatforms(ps []ocispecs.Platform) []ocispecs.Platform {
	if len(ps) == 0 {
		return []ocispecs.Platform{{}}
	}
	var out []ocispecs.Platform
	seen := map[string]bool{}
	for _, p := range ps {
		p = platforms.Normalize(p)
		if key := platforms.FormatAll(p); !seen[key] {
			seen[key] = true
			out = append(out, p)
		}
	}
	return out
}

func isZero(p ocispecs.Platform) bool {
	return p.OS == "" && p.Architecture == "" && p.Variant == "" && p.OSVersion == "" && len(p.OSFeatures) == 0
}

// onPlatform names the platform in a planning error when there are
// several, keeping it an *Error.
func onPlatform(err error, platform string, several bool) error {
	le, ok := err.(*located.Error)
	if !several || !ok {
		return err
	}
	cp := *le
	cp.Field = "platform " + platform
	return &cp
}

// sameGraph checks that b needs the stages a needs, with the same
// dependencies and levels; the error is at the first stage that differs.
func sameGraph(df *dockerfile, a, b *Plan, an, bn string) error {
	const hint = "cairn builds one stage graph for every platform: build these platforms separately"
	for i := range df.Stages {
		sa, oka := stageAt(a, i)
		sb, okb := stageAt(b, i)
		line, name := df.StageLine(i), df.Names[i]
		switch {
		case oka && !okb:
			return errorf(df.File, line, "platforms %s and %s need different stages: stage %q is needed on %s, not on %s (%s)", an, bn, name, an, bn, hint)
		case okb && !oka:
			return errorf(df.File, line, "platforms %s and %s need different stages: stage %q is needed on %s, not on %s (%s)", an, bn, name, bn, an, hint)
		case !oka:
			continue
		case !slices.Equal(sa.DependsOn, sb.DependsOn):
			return errorf(df.File, line, "platforms %s and %s need different stage graphs: stage %q depends on [%s] on %s, on [%s] on %s (%s)", an, bn, name, strings.Join(sa.DependsOn, ", "), an, strings.Join(sb.DependsOn, ", "), bn, hint)
		case sa.Level != sb.Level:
			return errorf(df.File, line, "platforms %s and %s need different stage graphs: stage %q is on level %d on %s, on level %d on %s (%s)", an, bn, name, sa.Level, an, sb.Level, bn, hint)
		}
	}
	return nil
}

// stageAt is the plan's stage with Dockerfile index i.
func stageAt(p *Plan, i int) (StagePlan, bool) {
	for _, s := range p.Stages {
		if s.Index == i {
			return s, true
		}
	}
	return StagePlan{}, false
}
