package build

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/util/grpcerrors"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"google.golang.org/grpc/codes"

	"github.com/cairn-build/cairn/pkg/cache"
	"github.com/cairn-build/cairn/pkg/planner"
)

// Builder is one BuildKit daemon of a Pool.
type Builder struct {
	// Name says in results which daemon built a stage; unique in a pool.
	Name   string
	Solver Solver
	// Platforms are the daemon's worker's platforms as ListWorkers lists
	// them: the first is the one it builds on (BUILDPLATFORM), and cairn
	// counts every listed one as built natively.
	Platforms []ocispecs.Platform
}

// Pool is BuildKit daemons that share a build (see RunPool); the first is
// the default. Pools made from it by For share its count of the stages
// in flight on each daemon and of the daemons that went away, so builds
// of several platforms spread over the daemons together. It is safe for
// concurrent use.
type Pool struct {
	mu      *sync.Mutex // shared with the pools For makes
	members []*member
}

type member struct {
	Builder
	inFlight int
	gone     bool
}

// NewPool is a pool of the builders; the first is the default.
func NewPool(builders ...Builder) (*Pool, error) {
	if len(builders) == 0 {
		return nil, errors.New("a pool needs at least one builder")
	}
	p := &Pool{mu: &sync.Mutex{}}
	seen := map[string]bool{}
	for _, b := range builders {
		if seen[b.Name] {
			return nil, fmt.Errorf("two builders are named %q", b.Name)
		}
		seen[b.Name] = true
		p.members = append(p.members, &member{Builder: b})
	}
	return p, nil
}

// Builders are the pool's daemons, the default first.
func (p *Pool) Builders() []Builder {
	out := make([]Builder, len(p.members))
	for i, m := range p.members {
		out[i] = m.Builder
	}
	return out
}

// BuildPlatform is the platform the default daemon builds on ("" when its
// worker lists none).
func (p *Pool) BuildPlatform() string {
	return buildPlatform(p.members[0].Builder)
}

// For is the part of the pool that builds for the platform t (as
// "linux/arm64"; "" means the default daemon's build platform): the
// daemons that build on t, else those whose worker lists t. Of these, only
// those that build on the same platform as the first are kept, so one plan
// (one BUILDPLATFORM) holds for all of them. When no worker lists t, it is
// the default daemon alone, emulating t, and emulated is true.
func (p *Pool) For(t string) (sub *Pool, emulated bool) {
	if t == "" {
		t = p.BuildPlatform()
	}
	t = normalize(t)
	var picked []*member
	for _, native := range []func(*member) bool{
		func(m *member) bool { return buildPlatform(m.Builder) == t },
		func(m *member) bool { return lists(m.Builder, t) },
	} {
		for _, m := range p.members {
			if native(m) && (len(picked) == 0 || buildPlatform(m.Builder) == buildPlatform(picked[0].Builder)) {
				picked = append(picked, m)
			}
		}
		if len(picked) > 0 {
			return &Pool{mu: p.mu, members: picked}, false
		}
	}
	return &Pool{mu: p.mu, members: p.members[:1]}, true
}

func buildPlatform(b Builder) string {
	if len(b.Platforms) == 0 {
		return ""
	}
	return platforms.FormatAll(platforms.Normalize(b.Platforms[0]))
}

func lists(b Builder, t string) bool {
	for _, p := range b.Platforms {
		if platforms.FormatAll(platforms.Normalize(p)) == t {
			return true
		}
	}
	return false
}

func normalize(t string) string {
	p, err := platforms.Parse(t)
	if err != nil {
		return t
	}
	return platforms.FormatAll(platforms.Normalize(p))
}

// ErrBuilderGone is matched (errors.Is) by the error of a stage whose
// daemon went away mid-solve, and whose retry on another one, if the pool
// had another, failed too. The error is a *BuilderGoneError.
var ErrBuilderGone = errors.New("builder went away")

// BuilderGoneError is a solve that failed because its daemon could not be
// reached any more: killed, stopped or cut off.
type BuilderGoneError struct {
	Builder string
	Err     error
}

func (e *BuilderGoneError) Error() string {
	return fmt.Sprintf("builder %s went away: %v", e.Builder, e.Err)
}

func (e *BuilderGoneError) Is(target error) bool { return target == ErrBuilderGone }
func (e *BuilderGoneError) Unwrap() error        { return e.Err }

// errNoBuilder means every daemon a stage could run on went away.
var errNoBuilder = fmt.Errorf("%w: no builder is left to build it", ErrBuilderGone)

// acquire picks the daemon for a stage, not skip: with spread, the one
// with the fewest stages in flight, then the one that built most of
// deps (its cache has them), then the first; else the first that has not
// gone away.
func (p *Pool) acquire(spread bool, deps map[*member]int, skip *member) (*member, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var best *member
	for _, m := range p.members {
		if m.gone || m == skip {
			continue
		}
		if best == nil {
			best = m
			if !spread {
				break
			}
			continue
		}
		if m.inFlight < best.inFlight || (m.inFlight == best.inFlight && deps[m] > deps[best]) {
			best = m
		}
	}
	if best == nil {
		return nil, errNoBuilder
	}
	best.inFlight++
	return best, nil
}

func (p *Pool) release(m *member, gone bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	m.inFlight--
	m.gone = m.gone || gone
}

// RunPool builds the plan as Run does, on the pool's daemons:
//
//   - When the pool has several daemons and every stage that others depend
//     on has a cache ref, each stage goes to the daemon with the fewest
//     stages in flight as it starts. A stage with dependents is staged by
//     digest in its cache ref's repository, even without opts.Push, with its
//     cache (its inline cache, or its mode=max cache when pushing); a
//     stage whose dependency ran on another daemon imports that digest as a
//     cache. No tag moves: the commit is the caller's, as with Run.
//   - Otherwise every stage runs on the default daemon.
//
// A stage whose daemon goes away mid-solve is solved again, once, on
// another daemon of the pool; dependencies it cannot import are rebuilt
// inside its solve. With one opts.Platforms, a cache ref holding an image
// index imports only that platform's manifest.
func RunPool(ctx context.Context, pool *Pool, plan *planner.Plan, opts Options) (*Result, error) {
	sp := &spreader{pool: pool, ranOn: map[string]*member{}, handedOff: map[string]string{}, dependents: map[string]bool{}}
	for _, s := range plan.Stages {
		for _, dep := range s.DependsOn {
			sp.dependents[dep] = true
		}
	}
	sp.spread = len(pool.members) > 1 && canHandOff(plan, sp.dependents)
	switch {
	case len(pool.members) > 1 && !sp.spread:
		notef(opts, "stages stay on builder %s: a stage that others depend on has no cache ref to hand its image over in (set a repository, and a cache mode other than off)", pool.members[0].Name)
	case sp.spread && !opts.Push:
		notef(opts, "stages spread over %d builders: the images of stages that others depend on go to the registry by digest (no tag is created or moved)", len(pool.members))
	}
	if len(opts.Platforms) == 1 {
		opts.importPlatform = normalize(opts.Platforms[0])
	}
	return run(ctx, plan, opts, sp)
}

func canHandOff(plan *planner.Plan, dependents map[string]bool) bool {
	for _, s := range plan.Stages {
		if s.Standalone && dependents[s.Name] && s.CacheExport == "" {
			return false
		}
	}
	return true
}

// placer runs one stage's solve on a daemon it picks.
type placer interface {
	solve(ctx context.Context, s *stageSolve, status *fanIn) (StageResult, error)
}

// one is Run's placer: a single solver.
type one struct{ Solver }

func (o one) solve(ctx context.Context, s *stageSolve, status *fanIn) (StageResult, error) {
	return s.run(ctx, o.Solver, status.add())
}

// spreader is RunPool's placer.
type spreader struct {
	pool       *Pool
	spread     bool
	dependents map[string]bool // stages some stage depends on

	mu        sync.Mutex
	ranOn     map[string]*member // stage → the daemon that built it
	handedOff map[string]string  // stage → its image (or cache) by digest
}

func (sp *spreader) solve(ctx context.Context, s *stageSolve, status *fanIn) (StageResult, error) {
	s.handoff = sp.spread && sp.dependents[s.stage.Name]
	r := notStarted(s.stage.Name)
	var gone error // the first attempt's *BuilderGoneError, when it went away
	var skip *member
	for {
		m, err := sp.pool.acquire(sp.spread, sp.builtDeps(s.stage), skip)
		if err != nil {
			if gone != nil {
				return r, fmt.Errorf("%w (no other builder can build it)", gone)
			}
			return r, err
		}
		s.handoffs = sp.imports(s.stage, m)
		r, err = s.run(ctx, m.Solver, status.add())
		r.Builder = m.Name
		lost := err != nil && ctx.Err() == nil && isGone(err)
		sp.pool.release(m, lost)
		if lost {
			err = &BuilderGoneError{Builder: m.Name, Err: err}
		}
		switch {
		case gone != nil:
			r.Note = joinNotes(r.Note, fmt.Sprintf("%s: built again on %s", firstLine(gone), m.Name))
			if err != nil {
				return r, fmt.Errorf("%w; built again on %s: %w", gone, m.Name, err)
			}
		case lost:
			notef(s.opts, "stage %s: %s: building it again on another builder", s.stage.Name, firstLine(err))
			gone, skip = err, m
			continue
		case err != nil:
			return r, err
		}
		sp.done(s, m, r)
		return r, nil
	}
}

// firstLine is err's message up to its first newline.
func firstLine(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return msg
}

// builtDeps counts the stage's dependencies each daemon built.
func (sp *spreader) builtDeps(stage planner.StagePlan) map[*member]int {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	n := map[*member]int{}
	for _, dep := range stage.DependsOn {
		if m := sp.ranOn[dep]; m != nil {
			n[m]++
		}
	}
	return n
}

// imports are the images of the stage's dependencies built on other
// daemons than m, which its solve on m imports as caches.
func (sp *spreader) imports(stage planner.StagePlan, m *member) []CacheImport {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	var out []CacheImport
	for _, dep := range stage.DependsOn {
		if ref := sp.handedOff[dep]; ref != "" && sp.ranOn[dep] != m {
			out = append(out, CacheImport{Ref: ref, State: cache.Found, Via: dep})
		}
	}
	return out
}

func (sp *spreader) done(s *stageSolve, m *member, r StageResult) {
	ref := ""
	if s.handoff {
		ref = handoffRef(s, r)
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.ranOn[s.stage.Name] = m
	sp.handedOff[s.stage.Name] = ref
}

// handoffRef is the stage's result by digest in its cache ref's
// repository: its mode=max cache when one was staged, else its image with
// its inline cache.
func handoffRef(s *stageSolve, r StageResult) string {
	digest := r.Digest
	if s.opts.Push && s.opts.CacheMode == cache.ModeMax && r.CacheDigest != "" {
		digest = r.CacheDigest
	}
	ref, err := cache.Digested(s.stage.CacheExport, digest)
	if err != nil || digest == "" {
		return "" // unreachable: the image exporter staged it under this ref
	}
	return ref
}

// handoffImage reports whether the solve stages its image, with an inline
// cache, only to hand it off: the build would not stage its cache
// otherwise.
func (s *stageSolve) handoffImage(exportCache bool) bool {
	return s.handoff && !exportCache && s.stage.CacheExport != ""
}

// pushing reports whether the solve's image exporter may push.
func (s *stageSolve) pushing() bool { return s.opts.Push || s.handoffImage(false) }

// importRef is what the solve imports for the cache ref.
func (s *stageSolve) importRef(ref string) string {
	if picked, ok := s.picked[ref]; ok {
		return picked
	}
	return ref
}

// isGone reports whether a solve failed because its daemon could not be
// reached any more: killed, stopped, or cut off.
func isGone(err error) bool {
	return grpcerrors.Code(err) == codes.Unavailable
}

func joinNotes(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "" || a == b:
		return a
	}
	return a + "; " + b
}

// platformImports picks, for a build of one platform, that platform's
// manifest of every found cache ref that holds an image index (the cache a
// build of several platforms, each on its own, publishes): BuildKit would
// import every platform's inline cache, and cannot read an index of
// mode=max caches. A ref whose index has no manifest for the platform is
// marked missing in states.
func platformImports(ctx context.Context, opts Options, states map[string]cache.State) (map[string]string, error) {
	if opts.importPlatform == "" {
		return nil, nil
	}
	var found []string
	for ref, state := range states {
		if state == cache.Found {
			found = append(found, ref)
		}
	}
	picked, err := cache.ForPlatform(ctx, opts.Registry, found, opts.importPlatform)
	if err != nil {
		return nil, fmt.Errorf("look up cache refs: %w", err)
	}
	for _, ref := range found {
		if p, ok := picked[ref]; ok && p == "" {
			states[ref] = cache.Missing
			notef(opts, "cache %s has no %s manifest: building without it", ref, opts.importPlatform)
		}
	}
	return picked, nil
}

// Index is a stage built for several platforms, each on its own: the image
// index of its per-platform images and the one of their caches (the same
// index when the images carry the caches). The commit moves the stage's
// tags to them.
type Index struct {
	Stage string `json:"stage"`
	// Digest is the image index; "" when the stage is not published.
	Digest     string               `json:"digest,omitempty"`
	Descriptor *ocispecs.Descriptor `json:"descriptor,omitempty"`
	// CacheDigest is the index of the stage's per-platform caches.
	CacheDigest string `json:"cacheDigest,omitempty"`
}

// Final is the stage's result as a publish sees it: the result of its one
// solve, or, for a stage built per platform, the first platform's result
// with its Index's digests. ok is false when no stage has that name.
func (r *Result) Final(stage string) (res StageResult, ok bool) {
	for _, s := range r.Stages {
		if s.Name == stage {
			res, ok = s, true
			break
		}
	}
	for _, ix := range r.Indexes {
		if ix.Stage == stage && ok {
			res.Digest, res.Descriptor, res.CacheDigest = ix.Digest, ix.Descriptor, ix.CacheDigest
			res.ConfigDigest, res.Platform = "", ""
		}
	}
	return res, ok
}
