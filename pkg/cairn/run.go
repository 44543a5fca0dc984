package cairn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"

	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/inputs"
	"github.com/cairn-build/cairn/pkg/push"
	"github.com/cairn-build/cairn/pkg/registry"
	"github.com/cairn-build/cairn/pkg/sign"
	"github.com/cairn-build/cairn/pkg/tiers"
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
	// NoSkip builds a publish whose inputs are those it was last published
	// from, its tags still there, which Run otherwise skips (see Run).
	NoSkip bool
	// Signer signs the published images (see push.WithSignatures); nil
	// loads the project's key (build.yaml sign:, --sign-key) when it has one.
	Signer sign.Signer
}

// ErrNothingPublished is matched (errors.Is) by the error of a publishing
// run that failed before the commit: no tag was created or moved.
var ErrNothingPublished = errors.New("nothing published: no tag was created or moved")

// ErrNothingToPublish is matched by the error of a publishing run whose
// project names no tag to move: no repository for cache refs and no tags.
var ErrNothingToPublish = errors.New("nothing to publish")

// Builder is what Run builds on: one BuildKit daemon (On) or a Pool.
type Builder interface {
	// Default is the daemon Run plans for (its first worker's platform),
	// runs the image checks on and saves the cache mounts from.
	Default() Daemon
	// Build solves every stage of p's plan with bo; log receives notes.
	Build(ctx context.Context, p *Project, bo build.Options, log *slog.Logger) (*build.Result, error)
}

// Connector is a Builder that reaches its daemons only when Run first
// needs one (NewPool's Pool): a skipped publish connects to none.
type Connector interface {
	Builder
	Connect(ctx context.Context) error
}

// Daemon is what cairn asks of one BuildKit daemon; *client.Client is one.
type Daemon interface {
	build.Solver
	ListWorkers(ctx context.Context, opts ...client.ListWorkersOption) ([]*client.WorkerInfo, error)
}

// On is the Builder of one daemon: every stage is built on d.
func On(d Daemon) Builder { return single{d} }

type single struct{ d Daemon }

func (s single) Default() Daemon { return s.d }
func (s single) Build(ctx context.Context, p *Project, bo build.Options, _ *slog.Logger) (*build.Result, error) {
	return build.Run(ctx, s.d, p.Plan, bo)
}

// Run lints the Dockerfile, builds every planned stage on b, runs the
// targets' checks and, with opts.Push, saves the cache mounts meanwhile
// and commits the tags: each step only when everything before it
// succeeded (a failed check drops the saves). A publish
// whose every target's input digest (pkg/inputs) is recorded with every tag
// it would move, each still where that publish left it, builds nothing and
// moves nothing: its report says each target was skipped, and a Connector
// is never connected (unless opts.NoSkip or no-cache). The report
// is returned also on error (it holds what ran: the lint alone when the
// lint stopped a publish); it is nil when nothing ran (Preflight failed, or
// a Dockerfile that could not be linted). A publishing run first rolls back
// any commit to its repositories that a killed publisher left unfinished
// (Recover). Every failure of a publishing run before its commit matches
// ErrNothingPublished.
func Run(ctx context.Context, b Builder, p *Project, opts RunOptions) (*Report, error) {
	started := time.Now()
	opts, err := opts.withDefaults(p)
	if err == nil {
		err = p.Preflight(ctx, opts)
	}
	if err != nil {
		return nil, opts.unpublished(err)
	}
	// The commit's records are taken while the checks and saves run: taking
	// one waits a moment (push.Lock).
	var lock *push.Lock
	defer func() { lock.Release(context.WithoutCancel(ctx)) }() // unless the commit used it
	report, res, p, err := opts.buildAndCheck(ctx, b, p, func(p *Project) {
		lock = push.TakeLock(ctx, opts.Registry, p.refs(), push.WithLogger(opts.Logger))
	})
	if err != nil || !opts.Push || res == nil { // nil: skipped
		return report, opts.unpublished(err)
	}
	_, err = publish(ctx, []built{{p, res, report}}, opts, started, lock)
	return report, err
}

// buildAndCheck is Run after the Preflight, up to the commit: it returns
// the project as planned for the daemon and what the build made (nil: the
// publish was skipped). built, when not nil, is called in a publish once
// the build succeeded, before the checks.
func (o RunOptions) buildAndCheck(ctx context.Context, b Builder, p *Project, built func(*Project)) (*Report, *build.Result, *Project, error) {
	var in *inputs.Digests
	if o.Push {
		// Before anything is built: may cairn push to every repository?
		if err := o.Registry.CheckPushTo(ctx, p.refs()); err != nil {
			return nil, nil, p, fmt.Errorf("%w\n%w", err, ErrNothingPublished)
		}
		// Before anything else: a killed publisher's tags go back first.
		if _, err := Recover(ctx, p, o); err != nil {
			return nil, nil, p, fmt.Errorf("%w\n%w", err, ErrNothingPublished)
		}
		in = o.inputs(ctx, p)
		if skipped := o.skip(ctx, p, in); skipped != nil {
			return skipped, nil, p, nil // before any daemon is dialed
		}
	}
	planned := p
	p, err := forDaemon(ctx, b, p)
	if err != nil {
		return nil, nil, p, err
	}
	if p != planned {
		in = nil // digested as planned here, not for the daemon's platform
	}
	if o.Push {
		p.noteTier(o.Logger)
	}
	g, err := newGates(p.Config)
	if err != nil {
		return nil, nil, p, err
	}
	defer g.cleanup()
	tap := build.TapWarnings(o.Status)
	o.Status = tap.In
	report := &Report{Version: ReportVersion, Dockerfile: p.Config.Dockerfile, Platforms: p.TargetPlatforms(), Stages: []StageReport{}, Targets: []TargetReport{}, Mounts: []MountReport{}, Checks: g.reports, Inputs: in.Project()}
	defer func() { report.Warnings = tap.Close() }()
	if err := g.lint(ctx, p.Dockerfile); err != nil {
		return nil, nil, p, err
	}
	if err := g.verdict(); err != nil && o.Push {
		return report, nil, p, fmt.Errorf("%w\nnothing built or published", err)
	}
	checked := o.checkBases(ctx, p)
	bo, out, err := o.buildOptions(p, g, checked)
	if err != nil {
		return report, nil, p, err
	}
	defer out.Cleanup()
	if err := bo.CheckAttests(ctx, b.Default(), func(t string) bool { return len(p.Config.Attests(t, false).On()) > 0 }); err != nil {
		return report, nil, p, err
	}
	if o.Push {
		bo.Saver = build.NewSaver(ctx, p.Config.CacheMounts.MaxSize)
		defer bo.Saver.Stop() // a failed build or check: nothing it staged is kept
	}
	res, err := b.Build(ctx, p, bo, o.Logger)
	if res != nil {
		report.Stages, report.Targets = stageReports(res.Stages, checked), targetReports(p, res, in)
	}
	if err == nil {
		err = out.Finish(ctx, res, o.Status, o.Logger)
	}
	if err == nil && o.Push && built != nil {
		built(p)
	}
	if err == nil {
		err = o.checkAndSave(ctx, b.Default(), g, res, bo)
	}
	if res != nil {
		report.Mounts = mountReports(res.Mounts)
	}
	if err != nil && o.Push && !errors.Is(err, ErrNothingPublished) {
		err = fmt.Errorf("%w\n%w", err, ErrNothingPublished)
	}
	return report, res, p, err
}

// checkAndSave runs the checks on the built images and, in a publish,
// finishes the cache mounts' saves (bo.Saver) meanwhile: the saves need
// nothing the checks do, and only stage their snapshots by digest; the
// commit moves the snapshot tags with the others. A failed check stops the
// saves and drops what they staged from res.
func (o RunOptions) checkAndSave(ctx context.Context, d Daemon, g *gates, res *build.Result, bo build.Options) error {
	unsaved := slices.Clone(res.Mounts)
	saved := make(chan error, 1)
	if bo.Saver != nil {
		go func() { saved <- bo.Saver.Wait(d, res, bo) }()
	} else {
		saved <- nil
	}
	err := g.images(ctx, d, bo.Session)
	if err == nil {
		err = g.verdict()
	}
	if err != nil {
		if bo.Saver != nil {
			bo.Saver.Stop()
		}
		<-saved
		res.Mounts = unsaved
		return err
	}
	return <-saved
}

// unpublished is err matching ErrNothingPublished, its message unchanged,
// when the run publishes; else err.
func (o RunOptions) unpublished(err error) error {
	if err == nil || !o.Push || errors.Is(err, ErrNothingPublished) {
		return err
	}
	return &unpublishedError{err}
}

type unpublishedError struct{ err error }

func (e *unpublishedError) Error() string        { return e.err.Error() }
func (e *unpublishedError) Unwrap() error        { return e.err }
func (e *unpublishedError) Is(target error) bool { return target == ErrNothingPublished }

// forDaemon connects b and plans the project again for the platform of
// its default daemon's first worker, the platform BuildKit builds on (and
// for, when none is set): a plan made for another machine's platform may
// select other stages.
func forDaemon(ctx context.Context, b Builder, p *Project) (*Project, error) {
	if c, ok := b.(Connector); ok {
		if err := c.Connect(ctx); err != nil {
			return nil, err
		}
	}
	workers, err := b.Default().ListWorkers(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the daemon's workers: %w", err)
	}
	if len(workers) == 0 || len(workers[0].Platforms) == 0 {
		return nil, errors.New("the BuildKit daemon has no worker to build on")
	}
	return p.ForBuildPlatform(workers[0].Platforms[0])
}

// built is a project built and checked, ready for the commit.
type built struct {
	p   *Project
	res *build.Result
	r   *Report
}

// publish moves the tags of every build in one commit, caches first, final
// tags last, shown as one vertex in the progress display; each report gets
// its tags' results. A failure before any tag moved (the stamp, a tag two
// builds would publish, a push.PrepareError) matches ErrNothingPublished.
// lock, when not nil, holds the commit's records (see push.TakeLock).
func publish(ctx context.Context, bs []built, opts RunOptions, started time.Time, lock *push.Lock) ([]push.TagResult, error) {
	var moves []push.Move
	for _, b := range bs {
		stamp, err := tiers.Stamp(ctx, opts.Registry, b.p.Config, b.p.Source.Commit, time.Now())
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNothingPublished, err)
		}
		m, err := b.p.moves(b.res, stamp, b.r)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNothingPublished, err)
		}
		moves = append(moves, m...)
	}
	moves, err := push.Merge(moves)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNothingPublished, err)
	}
	step := build.StartStep(opts.Status, "[publish] move tags: caches first, final tags last")
	tags, err := push.Commit(ctx, opts.Registry, moves, append(opts.commitOptions(bs[0].p, started), push.WithLock(lock))...)
	step.Moved(tags, err)
	if errors.As(err, new(*push.PrepareError)) {
		err = opts.unpublished(err)
	}
	for _, b := range bs {
		b.r.Tags = push.Of(tags, b.p.refs())
		if err == nil {
			addAttestations(ctx, opts.Registry, b.r.Targets, b.r.Tags, opts.Logger)
		}
	}
	return tags, err
}

func (o RunOptions) withDefaults(p *Project) (RunOptions, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	var err error
	if o.Registry, err = p.access(o.Registry); err != nil {
		return o, err
	}
	if o.Session == nil {
		o.Session = []session.Attachable{o.Registry.SessionAuth()}
	}
	if s := p.Config.Sign; o.Push && o.Signer == nil && s.Key != "" {
		k, err := sign.LoadKey(s.Key, s.PasswordEnv, nil)
		if err != nil {
			return o, err
		}
		o.Signer = k
	}
	return o, nil
}

// access is reg, or the project's default Registry when reg is nil.
func (p *Project) access(reg *registry.Access) (*registry.Access, error) {
	if reg != nil {
		return reg, nil
	}
	return Registry(p)
}

// Registry is the default registry access for the project: credentials
// from the docker config and its helpers, the insecure hosts of build.yaml
// and --insecure-registry, and the pull mirrors of build.yaml and
// --registry-mirror.
func Registry(p *Project, opts ...registry.Option) (*registry.Access, error) {
	defaults := []registry.Option{
		registry.WithInsecure(p.Config.InsecureRegistries...),
		registry.WithMirrors(p.Config.RegistryMirrors),
	}
	return registry.New(append(defaults, opts...)...)
}
