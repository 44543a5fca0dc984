package lint

import (
	"context"
	"encoding/json"
	"maps"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cairn-build/cairn/internal/dfparse"
)

// lintPlatform is the platform BuildKit's checks run for. Any fixed value
// keeps findings the same on every host: the offline resolver answers
// with whatever platform was asked for, so no platform check can fire.
func lintPlatform() ocispecs.Platform {
	return ocispecs.Platform{OS: "linux", Architecture: "amd64"}
}

// offlineResolver answers every image lookup with an empty image config
// for the platform asked, so BuildKit's checks never touch the network.
type offlineResolver struct{}

// ResolveImageConfig returns ref unchanged, no digest and an empty config.
func (offlineResolver) ResolveImageConfig(_ context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	img := ocispecs.Image{Platform: lintPlatform(), RootFS: ocispecs.RootFS{Type: "layers"}}
	if opt.ImageOpt != nil && opt.ImageOpt.Platform != nil {
		img.Platform = *opt.ImageOpt.Platform
	}
	dt, err := json.Marshal(img)
	return ref, "", dt, err
}

// buildkitFindings runs BuildKit's own Dockerfile checks. With no target
// BuildKit checks every stage, and an unnamed target stage cannot be
// named to BuildKit, so that checks every stage too.
func buildkitFindings(ctx context.Context, dt []byte, df *dockerfile, opts Options, r sourceresolver.ImageMetaResolver) ([]Finding, error) {
	target := ""
	if opts.Target != "" {
		target = df.Stages[df.final].Name
	}
	res, err := runBuildKit(ctx, dt, opts, target, r)
	if err != nil {
		return nil, err
	}
	name := df.Stages[df.final].Name
	if res.Error == nil || target != "" || name == "" {
		return fromResults(res, Error), nil
	}
	// Checking every stage failed to convert. If the final image's own
	// stages convert, the failure is in a stage it does not need: worth a
	// warning, not a failed gate.
	own, err := runBuildKit(ctx, dt, opts, name, r)
	if err != nil || own.Error != nil {
		return fromResults(res, Error), nil
	}
	found := fromResults(res, Warning)
	for i := range found {
		if found[i].Rule == ruleBuildError {
			found[i].Message += " (in a stage the final image does not need)"
		}
	}
	return append(found, fromResults(own, Error)...), nil
}

// runBuildKit runs DockerfileLint offline for target ("" = all stages).
func runBuildKit(ctx context.Context, dt []byte, opts Options, target string, r sourceresolver.ImageMetaResolver) (*lint.LintResults, error) {
	platform := lintPlatform()
	var res *lint.LintResults
	err := dfparse.Safely(func() error {
		var err error
		res, err = dockerfile2llb.DockerfileLint(ctx, dt, dockerfile2llb.ConvertOpt{
			Config: dockerui.Config{
				BuildArgs:      maps.Clone(opts.BuildArgs),
				Target:         target,
				BuildPlatforms: []ocispecs.Platform{platform},
			},
			TargetPlatform: &platform,
			// AddSource reads the definition, so it must not be nil.
			SourceMap:    &llb.SourceMap{Filename: opts.Filename, Language: "Dockerfile", Definition: &llb.Definition{}},
			MetaResolver: r,
		})
		return err
	})
	if err != nil {
		return nil, parseErr(opts.Filename, "BuildKit lint", err)
	}
	return res, nil
}

// fromResults maps BuildKit's warnings, and its conversion error if any
// (at severity errSev), to findings.
func fromResults(res *lint.LintResults, errSev Severity) []Finding {
	var out []Finding
	for _, w := range res.Warnings {
		out = append(out, Finding{
			Rule:     buildkitPrefix + w.RuleName,
			Severity: Warning,
			Line:     pbLine(w.Location),
			Message:  w.Detail,
			URL:      w.URL,
		})
	}
	if e := res.Error; e != nil {
		out = append(out, Finding{Rule: ruleBuildError, Severity: errSev, Line: pbLine(&e.Location), Message: e.Message})
	}
	return out
}

// pbLine is the first line of a BuildKit source location, or 0.
func pbLine(loc *pb.Location) int {
	if loc == nil || len(loc.Ranges) == 0 || loc.Ranges[0].Start == nil {
		return 0
	}
	return int(loc.Ranges[0].Start.Line)
}
