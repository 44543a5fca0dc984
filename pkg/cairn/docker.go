package cairn

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/moby/buildkit/client"

	"github.com/cairn-build/cairn/pkg/bases"
	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/planner"
)

// Preflight checks, before anything is built, what would make the run
// fail later: a publish with nothing to publish or with final tags the
// build may not move (config.HeldTagsError), secrets and SSH agents
// that cannot be read, a --no-cache-filter naming no planned stage, and
// --load without a Docker engine. Run and RunAll call it first, before
// any daemon is dialed.
func (p *Project) Preflight(ctx context.Context, opts RunOptions) error {
	if opts.Push {
		if err := p.Publishable(); err != nil {
			return err
		}
		// Before anything is built: a pull request build never moves a
		// final tag that is not its own.
		if err := p.Config.Release.Err(); err != nil {
			return fmt.Errorf("%w\n%w", err, ErrNothingPublished)
		}
	}
	if _, err := build.Attachables(p.Config.Solve); err != nil {
		return err
	}
	for _, name := range p.Config.Solve.NoCacheFilter {
		if !slices.ContainsFunc(p.Plan.Stages, func(s planner.StagePlan) bool { return strings.EqualFold(s.Name, name) }) {
			return &config.OptionError{Option: "Overrides.Docker.NoCacheFilter", Err: fmt.Errorf("%q is none of the stages the targets need (%s)", name, stageNames(p))}
		}
	}
	if p.Config.Solve.Load {
		return build.DockerEngine(ctx)
	}
	return nil
}

// buildOptions are the build's options, all made here: the project's,
// the run's, the checks' layouts, the bases' stage options, docker
// build's, the targets' labels, annotations and outputs, and the secrets
// and SSH agents. out is what the build leaves on this machine.
func (o RunOptions) buildOptions(p *Project, g *gates, checked *bases.Checked) (bo build.Options, out *build.Local, err error) {
	cfg, s := p.Config, p.Config.Solve
	attach, err := build.Attachables(p.Config.Solve)
	if err != nil {
		return bo, nil, err
	}
	names := make([]string, len(p.Plan.Targets))
	for i, t := range p.Plan.Targets {
		names[i] = t.Name
	}
	if out, err = build.NewLocal(names, s.Load, cfg.IIDFile); err != nil {
		return bo, nil, err
	}
	targets := make(map[string]build.TargetOptions, len(p.Plan.Targets))
	for _, t := range p.Plan.Targets {
		opts := build.TargetOptions{Labels: s.Labels, Annotations: s.Annotations, Attests: cfg.Attests(t.Name, o.Push).On()}
		for _, o := range cfg.Outputs(t.Name) {
			opts.Outputs = append(opts.Outputs, build.LocalOutput(o))
		}
		if archive := out.Archive(t.Name); archive != "" {
			opts.Outputs = append(opts.Outputs, build.LocalOutput{Type: client.ExporterDocker, Dest: archive})
		}
		targets[t.Name] = opts
	}
	return build.Options{
		Context: cfg.Context, Dockerfile: cfg.Dockerfile, Args: cfg.Args, Platforms: cfg.Platforms, CacheMode: cfg.CacheMode,
		Push: o.Push, Registry: o.Registry, Session: slices.Concat(o.Session, attach), Status: o.Status,
		Logger:          o.Logger,
		SourceDateEpoch: p.Source.Epoch, RewriteTimestamp: o.RewriteTimestamp, FinalLabels: p.Source.finalLabels(),
		Layouts: g.layouts, Docker: s.SolveOptions, Targets: targets, Stages: checked.StageOptions(p.Plan),
	}, out, nil
}

// checkBases checks the bases of the project's stages before a build, when
// baseImages.refresh is on; nil otherwise.
func (o RunOptions) checkBases(ctx context.Context, p *Project) *bases.Checked {
	if !p.Config.RefreshBases {
		return nil
	}
	return bases.Refresh(ctx, o.Registry, p.Plan, p.Config.Solve.Contexts, p.TargetPlatforms(), o.Logger)
}

func stageNames(p *Project) string {
	names := make([]string, len(p.Plan.Stages))
	for i, s := range p.Plan.Stages {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}
