package cairn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"

	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/push"
	"github.com/cairn-build/cairn/pkg/registry"
)

// RunOptions configure Run. The zero value builds and checks, publishing
// nothing, with credentials from the docker config and no progress shown.
type RunOptions struct {
	// Push publishes: images and caches are staged by digest while
	// building, and the tags move once everything succeeded.
	Push bool
	// Registry is how cairn and BuildKit reach registries; nil gives the
	// defaults (docker config credentials) with the project's insecure hosts.
	Registry *registry.Access
	// Session attachables for the solves; nil gives Registry's credentials.
	Session []session.Attachable
	// Status receives every solve's progress and the commit's, for
	// BuildKit's display (see NewDisplay); nil discards it. Run does not
	// close it.
	Status chan<- *client.SolveStatus
	// RewriteTimestamp also clamps the times of the files in new layers to
	// the project's source date epoch (slower: layers are rewritten).
	RewriteTimestamp bool
	// Logger receives notes (a missing cache ref, a rebuilt broken cache);
	// nil discards them. NoteLogger prints them as "note: …" lines.
	Logger *slog.Logger
	// Force makes the commit overwrite final tags that another publisher
	// moved since it started, instead of failing.
	Force bool

	pool *Pool // set by Pool.Run
}

// ErrNothingPublished is matched (errors.Is) by the error of a publishing
// run that failed before the commit: no tag was created or moved.
var ErrNothingPublished = errors.New("nothing published: no tag was created or moved")

// ErrNothingToPublish is matched by the error of a publishing run whose
// project names no tag to move: no repository for cache refs and no tags.
var ErrNothingToPublish = errors.New("nothing to publish")

// Run lints the Dockerfile, builds every planned stage on the daemon, runs
// the targets' checks and, with opts.Push, commits the tags: each step only
// when everything before it succeeded. The report is returned also on
// error (it holds what ran: the lint alone when the lint stopped a
// publish); it is nil when nothing ran (Preflight failed, or a Dockerfile
// that could not be linted). A publishing run first rolls back any commit
// to its repositories that a killed publisher left unfinished (Recover).
func Run(ctx context.Context, c *client.Client, p *Project, opts RunOptions) (*Report, error) {
	started := time.Now()
	opts, err := opts.withDefaults(p)
	if err != nil {
		return nil, err
	}
	if err := p.Preflight(ctx, opts); err != nil {
		return nil, err
	}
	if opts.Push {
		if err := checkPush(ctx, p, opts.Registry); err != nil {
			return nil, fmt.Errorf("%w\n%w", err, ErrNothingPublished)
		}
		// Before anything else: a killed publisher's tags go back first.
		if _, err := Recover(ctx, p, opts); err != nil {
			return nil, fmt.Errorf("%w\n%w", err, ErrNothingPublished)
		}
	}
	if p, err = forDaemon(ctx, c, p); err != nil {
		return nil, err
	}
	if opts.Push {
		p.noteTier(opts.Logger)
	}
	g, err := newGates(p.Config)
	if err != nil {
		return nil, err
	}
	defer g.cleanup()
	tap := tapWarnings(opts.Status)
	opts.Status = tap.in
	report := &Report{Version: ReportVersion, Dockerfile: p.Config.Dockerfile, Platforms: p.TargetPlatforms(), Stages: []StageReport{}, Targets: []TargetReport{}, Mounts: []MountReport{}, Checks: g.reports}
	defer func() { report.Warnings = tap.close() }()
	if err := g.lint(ctx, p.Dockerfile); err != nil {
		return nil, err
	}
	if err := g.verdict(); err != nil && opts.Push {
		return report, fmt.Errorf("%w\nnothing built or published", err)
	}
	bases := refreshBases(ctx, p, opts)
	bo := opts.buildOptions(p)
	bo.Layouts = g.layouts
	bo.Stages = stageOptions(p.Plan, bases, p.TargetPlatforms())
	out, err := newLocal(p, &bo)
	if err != nil {
		return report, err
	}
	defer out.cleanup()
	noteUnpublished(bo, opts.Logger)
	res, err := opts.build(ctx, c, p, bo)
	if res != nil {
		report.Stages = stageReports(res.Stages)
		report.Targets = targetReports(p, res)
		addBases(report.Stages, bases)
	}
	if err == nil {
		err = out.finish(ctx, res, opts.Status, opts.Logger)
	}
	if err == nil {
		if err = g.images(ctx, c, bo.Session); err == nil {
			err = g.verdict()
		}
	}
	if err == nil && opts.Push {
		err = saveMounts(ctx, c, p, res, bo)
	}
	if res != nil {
		report.Mounts = mountReports(res.Mounts)
	}
	switch {
	case err != nil && opts.Push:
		return report, fmt.Errorf("%w\n%w", err, ErrNothingPublished)
	case err != nil || !opts.Push:
		return report, err
	}
	report.Tags, err = publish(ctx, p, res, opts, started)
	if err == nil {
		addAttestations(ctx, opts.Registry, report.Targets, report.Tags, opts.Logger)
	}
	return report, err
}

// forDaemon plans the project again for the platform of the daemon's first
// worker, the platform BuildKit builds on (and for, when none is set): a
// plan made for another machine's platform may select other stages.
func forDaemon(ctx context.Context, c *client.Client, p *Project) (*Project, error) {
	workers, err := c.ListWorkers(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the daemon's workers: %w", err)
	}
	if len(workers) == 0 || len(workers[0].Platforms) == 0 {
		return nil, errors.New("the BuildKit daemon has no worker to build on")
	}
	return p.ForBuildPlatform(workers[0].Platforms[0])
}

// publish moves the tags, caches first, final tags last, shown as one
// vertex in the progress display.
func publish(ctx context.Context, p *Project, res *build.Result, opts RunOptions, started time.Time) ([]push.TagResult, error) {
	stamp, err := p.stageTierStamp(ctx, opts.Registry, time.Now())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNothingPublished, err)
	}
	moves, err := p.moves(res, stamp)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNothingPublished, err)
	}
	step := startStep(opts.Status, "[publish] move tags: caches first, final tags last")
	tags, err := push.Commit(ctx, opts.Registry, moves, opts.commitOptions(p, started)...)
	step.done(tags, err)
	return tags, err
}

func (o RunOptions) withDefaults(p *Project) (RunOptions, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Registry == nil {
		var err error
		if o.Registry, err = Registry(p); err != nil {
			return o, err
		}
	}
	if o.Session == nil {
		o.Session = []session.Attachable{o.Registry.SessionAuth()}
	}
	return o, nil
}

// Registry is the default registry access for the project: credentials
// from the docker config and its helpers, and the insecure hosts of
// build.yaml and --insecure-registry.
func Registry(p *Project, opts ...registry.Option) (*registry.Access, error) {
	return registry.New(append([]registry.Option{registry.WithInsecure(p.Config.InsecureRegistries...)}, opts...)...)
}

// buildOptions are the build's options from the project and the run's.
func (o RunOptions) buildOptions(p *Project) build.Options {
	cfg := p.Config
	return build.Options{
		Context:    cfg.Context,
		Dockerfile: cfg.Dockerfile,
		Args:       cfg.Args,
		Platforms:  cfg.Platforms,
		CacheMode:  cfg.CacheMode,
		Push:       o.Push,
		Registry:   o.Registry,
		Session:    o.Session,
		Status:     o.Status,

		SourceDateEpoch:  p.Source.Epoch,
		RewriteTimestamp: o.RewriteTimestamp,
		FinalLabels:      p.Source.finalLabels(),
		Notef:            func(f string, a ...any) { o.Logger.Info(fmt.Sprintf(f, a...)) },
	}
}
