// Package build executes a plan on a BuildKit daemon: every planned stage is
// solved concurrently through one client (BuildKit shares identical vertices
// between concurrent solves), each importing the caches the plan lists and
// exporting its own.
package build

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/go-multierror"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/session"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/tonistiigi/fsutil"

	"github.com/cairn-build/cairn/pkg/cache"
	"github.com/cairn-build/cairn/pkg/planner"
	"github.com/cairn-build/cairn/pkg/registry"
)

// Options configure Run.
type Options struct {
	Context    string // build context directory
	Dockerfile string // Dockerfile path
	Args       map[string]string
	Platforms  []string
	CacheMode  string // cache.ModeInline, ModeMax or ModeOff
	// Push stages stage images and caches in the registry, by digest: no tag
	// moves (see Result.Moves and push.Commit). Without it nothing is written
	// anywhere.
	Push bool
	// Registry is how cairn reaches registries; nil is registry.New()'s
	// defaults. BuildKit's credentials come from Session (Registry.SessionAuth()).
	Registry *registry.Access
	// Session attachables, e.g. the registry auth provider.
	Session []session.Attachable
	// Status receives every stage's solve status; nil discards them. Run
	// does not close it: the caller's later steps (the commit) show there too.
	Status chan<- *client.SolveStatus
	// Logger receives notes (a missing cache ref); nil discards them.
	Logger *slog.Logger
	// SourceDateEpoch clamps the created times of every exported image's
	// config and history (BuildKit's source-date-epoch exporter attribute);
	// with RewriteTimestamp, the files in new layers too. nil leaves them.
	SourceDateEpoch  *time.Time
	RewriteTimestamp bool
	// FinalLabels are set on the images of stages with tags (the published
	// ones), e.g. the OCI source and revision labels; cache-only stage
	// images stay the same from commit to commit.
	FinalLabels map[string]string
	// Layouts maps stages to directories that receive their image as an OCI
	// layout, for checks to read.
	Layouts map[string]string
	// Docker are docker build's options for every solve (docker.go).
	Docker Docker
	// Targets are the options of the targets' stages only, by stage.
	Targets map[string]TargetOptions
	// Stages add to the solves of the stages they name.
	Stages map[string]StageOptions

	// Saver, in a publish, saves each cache mount as soon as the stages
	// that mount it are built (Saver.Wait then saves the rest); nil saves
	// none.
	Saver *Saver

	// importPlatform is set by RunPool for a build of one platform.
	importPlatform string
}

// Result is what a build did, per stage, in plan order.
type Result struct {
	Stages []StageResult `json:"stages"`
	// Indexes join the per-platform results of stages built for several
	// platforms each on its own; empty otherwise.
	Indexes []Index `json:"indexes,omitempty"`
	// Mounts are the plan's cache mount directories, by ID, in plan order.
	Mounts []MountResult `json:"mounts"`
}

// StageResult is one stage's solve.
type StageResult struct {
	Name     string        `json:"name"`
	Steps    int           `json:"steps"`
	Cached   int           `json:"cached"`
	Duration time.Duration `json:"-"` // a Report has it in seconds
	Digest   string        `json:"digest,omitempty"`
	// ConfigDigest and Descriptor are the image exporter's (buildx's
	// containerimage.config.digest and containerimage.descriptor).
	ConfigDigest string               `json:"-"`
	Descriptor   *ocispecs.Descriptor `json:"-"`
	CacheImports []CacheImport        `json:"cacheImports"`
	// CacheExport is the stage's cache ref and CacheDigest the cache manifest
	// staged for it; the commit moves the ref there.
	CacheExport string `json:"cacheExport,omitempty"`
	CacheDigest string `json:"cacheDigest,omitempty"`
	// Tags are the final tags the commit moves to Digest.
	Tags []string `json:"tags"`
	// Error is Err's message, for reports.
	Error string `json:"error,omitempty"`
	// Err is the stage's *StageError when it failed or was not built.
	Err error `json:"-"`
	// Source is the Dockerfile excerpt of the step that failed.
	Source string `json:"source,omitempty"`
	Note   string `json:"note,omitempty"`
	// Builder names the Pool's daemon that built the stage; "" from Run.
	Builder string `json:"builder,omitempty"`
	// Platform is the one platform this result is for when each platform
	// was built on its own (see Index); "" otherwise.
	Platform string `json:"platform,omitempty"`
}

// CacheImport is a cache ref a stage asked for, and whether it was there.
type CacheImport struct {
	Ref   string      `json:"ref"`
	State cache.State `json:"state"`
	// Via names the dependency whose solve imported the ref, or whose
	// image, built on another daemon of a Pool, the ref is (by digest).
	Via string `json:"via,omitempty"`
}

// Solver solves a build, as *client.Client does: Run and LayoutRunner need
// nothing else of the daemon, so tests can schedule stages on a fake. Solve
// closes status, when not nil, before it returns.
type Solver interface {
	Solve(ctx context.Context, def *llb.Definition, opt client.SolveOpt, status chan *client.SolveStatus) (*client.SolveResponse, error)
}

var _ Solver = (*client.Client)(nil)

// Run builds every stage of the plan on s. It returns the result of every
// stage, and a *multierror.Error with a *StageError for each stage that
// failed or was not built (ErrDependencyFailed, or ctx's error when ctx was
// canceled first): failed stages first, each group in plan order.
func Run(ctx context.Context, s Solver, plan *planner.Plan, opts Options) (*Result, error) {
	return run(ctx, plan, opts, one{s})
}

// run builds the plan, each stage on the builder place picks for it.
func run(ctx context.Context, plan *planner.Plan, opts Options, place placer) (*Result, error) {
	status := newFanIn(opts.Status)
	defer status.wait()
	if opts.Registry == nil {
		reg, err := registry.New()
		if err != nil {
			return nil, err
		}
		opts.Registry = reg
	}
	mounts, err := localMounts(opts)
	if err != nil {
		return nil, err
	}
	states, err := probeCaches(ctx, plan, opts)
	if err != nil {
		return nil, err
	}
	picked, err := platformImports(ctx, opts, states)
	if err != nil {
		return nil, err
	}
	carry, err := newCarrier(ctx, plan, opts)
	if err != nil {
		return nil, err
	}
	res := &Result{Stages: make([]StageResult, len(plan.Stages))}
	sched := newScheduler(plan)
	var order map[string][]string
	if _, single := place.(one); single {
		order = mountOrder(plan, carry.restorable) // several daemons share no cache mount
	}
	owners := make(map[string]string, len(plan.Stages))
	for _, stage := range plan.Stages {
		if stage.CacheRef != "" { // its own ref, also when the build only reads it
			owners[stage.CacheRef] = stage.Name
		}
	}
	var group multierror.Group
	for i, stage := range plan.Stages {
		if !stage.Standalone {
			// BuildKit cannot target it: it is built inside its dependents.
			sched.finish(stage.Name, false)
			res.Stages[i] = notStarted(stage.Name)
			res.Stages[i].Note = "unnamed: built inside the stages that need it"
			continue
		}
		solve := &stageSolve{stage: stage, opts: opts, mounts: mounts, states: states, owners: owners, picked: picked, carry: carry}
		group.Go(func() error {
			r, err := notStarted(stage.Name), sched.wait(ctx, stage.DependsOn)
			if err == nil {
				err = sched.after(ctx, order[stage.Name])
			}
			if err == nil {
				r, err = place.solve(ctx, solve, status)
			}
			if err != nil {
				r.Error = err.Error()
				r.Err = &StageError{Stage: stage.Name, Source: r.Source, Err: err}
				err = r.Err
			}
			res.Stages[i] = r
			sched.finish(stage.Name, err != nil)
			if _, single := place.(one); single && err == nil && opts.Saver != nil {
				for _, m := range carry.built(stage.Name) {
					opts.Saver.begin(m, opts)
				}
			}
			return err
		})
	}
	errs := group.Wait()
	res.Mounts = carry.results()
	if errs != nil {
		sortErrors(errs.Errors, plan)
		errs.ErrorFormat = listErrors
		return res, errs
	}
	return res, nil
}

// notStarted is the result of a stage that has not been solved.
func notStarted(name string) StageResult {
	return StageResult{Name: name, CacheImports: []CacheImport{}, Tags: []string{}}
}

// sortErrors orders Run's errors: failed stages first, then those not
// built, each in plan order.
func sortErrors(errs []error, plan *planner.Plan) {
	order := make(map[string]int, len(plan.Stages))
	for i, s := range plan.Stages {
		order[s.Name] = i
	}
	key := func(err error) (bool, int) {
		var se *StageError
		if !errors.As(err, &se) {
			return notBuilt(err), len(order)
		}
		return notBuilt(err), order[se.Stage]
	}
	slices.SortStableFunc(errs, func(a, b error) int {
		skipA, iA := key(a)
		skipB, iB := key(b)
		if skipA != skipB {
			if skipA {
				return 1
			}
			return -1
		}
		return iA - iB
	})
}

func localMounts(opts Options) (map[string]fsutil.FS, error) {
	contextFS, err := fsutil.NewFS(opts.Context)
	if err != nil {
		return nil, fmt.Errorf("build context %s: %w", opts.Context, err)
	}
	dockerfileFS, err := fsutil.NewFS(filepath.Dir(opts.Dockerfile))
	if err != nil {
		return nil, fmt.Errorf("dockerfile directory: %w", err)
	}
	mounts := map[string]fsutil.FS{"context": contextFS, "dockerfile": dockerfileFS}
	return mounts, addNamedContexts(mounts, opts.Docker.Contexts)
}

// probeCaches finds which import refs exist, so missing ones are left out
// with a note instead of failing or slowing the solve.
func probeCaches(ctx context.Context, plan *planner.Plan, opts Options) (map[string]cache.State, error) {
	if opts.CacheMode == cache.ModeOff {
		return map[string]cache.State{}, nil
	}
	var refs []string
	for _, s := range plan.Stages {
		refs = append(refs, s.CacheImports...)
	}
	states, err := cache.Probe(ctx, opts.Registry, refs)
	if err != nil && opts.Push {
		return nil, fmt.Errorf("look up cache refs: %w", err)
	}
	if err != nil {
		// Nothing will be written there: a local build goes on without caches.
		notef(opts, "cache registry unreachable, building without caches: %v", err)
		return map[string]cache.State{}, nil
	}
	var missing []string
	for ref, state := range states {
		if state == cache.Missing {
			missing = append(missing, ref)
		}
	}
	sort.Strings(missing)
	for _, ref := range missing {
		notef(opts, "cache %s not found (first build?): building without it", ref)
	}
	return states, nil
}

func notef(opts Options, format string, args ...any) {
	if opts.Logger != nil {
		opts.Logger.Info(fmt.Sprintf(format, args...))
	}
}

// fanIn merges the status channels of concurrent solves into one display.
type fanIn struct {
	out chan<- *client.SolveStatus
	wg  sync.WaitGroup
}

func newFanIn(out chan<- *client.SolveStatus) *fanIn { return &fanIn{out: out} }

// add returns a channel for one solve; Solve closes it when done.
func (f *fanIn) add() chan *client.SolveStatus {
	ch := make(chan *client.SolveStatus)
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for st := range ch {
			if f.out != nil {
				f.out <- st
			}
		}
	}()
	return ch
}

// wait returns when every solve's status has been passed on.
func (f *fanIn) wait() { f.wg.Wait() }
