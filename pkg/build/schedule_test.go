package build_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/opencontainers/go-digest"

	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/cache"
	"github.com/cairn-build/cairn/pkg/planner"
)

// fakeSolver stands in for BuildKit to test Run's scheduling: each Solve
// reports its stage on started, then returns the stage's outcome, or, when
// blocking, waits for the test to send one on release[stage]. Like BuildKit,
// it returns ctx's error when ctx is done first, and closes status.
type fakeSolver struct {
	plan     *planner.Plan
	outcomes map[string]error
	block    bool
	started  chan string
	release  map[string]chan error

	mu       sync.Mutex
	finished map[string]bool
	solved   []string
	early    []string // "stage before dep": started before a dependency finished
}

func newFakeSolver(plan *planner.Plan, block bool, outcomes map[string]error) *fakeSolver {
	f := &fakeSolver{plan: plan, outcomes: outcomes, block: block,
		started: make(chan string, len(plan.Stages)), release: map[string]chan error{}, finished: map[string]bool{}}
	for _, s := range plan.Stages {
		f.release[s.Name] = make(chan error)
	}
	return f
}

func (f *fakeSolver) Solve(ctx context.Context, _ *llb.Definition, opt client.SolveOpt, status chan *client.SolveStatus) (*client.SolveResponse, error) {
	defer close(status)
	name := opt.FrontendAttrs["target"]
	stage, _ := f.plan.Stage(name)
	f.mu.Lock()
	f.solved = append(f.solved, name)
	for _, dep := range stage.DependsOn {
		if !f.finished[dep] {
			f.early = append(f.early, name+" before "+dep)
		}
	}
	f.mu.Unlock()
	f.started <- name
	err := f.outcomes[name]
	if f.block {
		select {
		case err = <-f.release[name]:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	now := time.Now()
	status <- &client.SolveStatus{Vertexes: []*client.Vertex{{Digest: digest.FromString(name), Name: "[" + name + " 2/2] RUN true", Completed: &now}}}
	f.mu.Lock()
	f.finished[name] = true
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return &client.SolveResponse{ExporterResponse: map[string]string{"containerimage.digest": digest.FromString(name).String()}}, nil
}

// fakePlan plans the Dockerfile for the targets, with a context for Run to mount.
func fakePlan(t *testing.T, dockerfile string, targets ...string) (*planner.Plan, build.Options) {
	t.Helper()
	var ts []planner.Target
	for _, name := range targets {
		ts = append(ts, planner.Target{Name: name})
	}
	return planWith(t, dockerfile, planner.Options{Targets: ts})
}

// planWith plans the Dockerfile with po, and writes it to a context for
// Run to mount; the build's cache mode is off.
func planWith(t *testing.T, dockerfile string, po planner.Options) (*planner.Plan, build.Options) {
	t.Helper()
	plan, err := planner.New([]byte(dockerfile), po)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	return plan, build.Options{Context: dir, Dockerfile: filepath.Join(dir, "Dockerfile"), CacheMode: cache.ModeOff}
}

// next is the next stage the fake started. The deadline only turns a
// scheduling bug into a failure instead of a hung test.
func next(t *testing.T, f *fakeSolver) string {
	t.Helper()
	select {
	case name := <-f.started:
		return name
	case <-time.After(30 * time.Second):
		t.Fatal("no stage started")
		return ""
	}
}

func byName(res *build.Result) map[string]build.StageResult {
	m := map[string]build.StageResult{}
	for _, s := range res.Stages {
		m[s.Name] = s
	}
	return m
}

const diamond = `FROM busybox:1.36 AS base
FROM base AS left
FROM base AS right
FROM busybox:1.36 AS final
COPY --from=left / /l
COPY --from=right / /r
`

// TestRunSchedulesByDependencies: a stage starts only after each of its
// dependencies finished, and independent stages are in flight at once.
func TestRunSchedulesByDependencies(t *testing.T) {
	plan, opts := fakePlan(t, diamond, "final")
	f := newFakeSolver(plan, true, nil)
	var res *build.Result
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		res, err = build.Run(t.Context(), f, plan, opts)
	}()

	if got := next(t, f); got != "base" {
		t.Fatalf("first stage started: %s, want base", got)
	}
	f.release["base"] <- nil
	// Both start before either is released: they run concurrently.
	both := []string{next(t, f), next(t, f)}
	slices.Sort(both)
	if !slices.Equal(both, []string{"left", "right"}) {
		t.Fatalf("started %v after base, want left and right", both)
	}
	// final needs right too: starting it now would be recorded as early.
	f.release["left"] <- nil
	f.release["right"] <- nil
	if got := next(t, f); got != "final" {
		t.Fatalf("last stage started: %s, want final", got)
	}
	f.release["final"] <- nil
	<-done

	if err != nil {
		t.Fatal(err)
	}
	if len(f.early) > 0 {
		t.Errorf("stages started before their dependencies finished: %v", f.early)
	}
	for _, s := range res.Stages {
		if s.Error != "" || s.Digest != digest.FromString(s.Name).String() || s.Steps != 1 {
			t.Errorf("stage %s: error %q, digest %s, %d steps; want built, its digest, 1 step", s.Name, s.Error, s.Digest, s.Steps)
		}
	}
}

const chains = `FROM busybox:1.36 AS a
FROM busybox:1.36 AS b
FROM a AS c
FROM c AS d
FROM busybox:1.36 AS e
`

// TestRunReportsEveryFailure: a failed stage fails the stages that need
// it, directly or not, without solving them; every failure is in the error,
// typed, and the other stages are built.
func TestRunReportsEveryFailure(t *testing.T) {
	errA, errB := errors.New("process did not complete successfully: exit code: 3"), errors.New("exit code: 4")
	tests := []struct {
		name     string
		outcomes map[string]error
		msg      string            // the whole error message; "" for none
		notBuilt map[string]string // stage → its Error
	}{
		{"none fails", nil, "", nil},
		{
			"one fails", map[string]error{"a": errA},
			"1 of the stages failed, 2 not built:\n" +
				"  stage a: process did not complete successfully: exit code: 3\n" +
				"  stage c: not built: stage a failed\n" +
				"  stage d: not built: stage c failed",
			map[string]string{"c": "not built: stage a failed", "d": "not built: stage c failed"},
		},
		{
			"two fail", map[string]error{"a": errA, "b": errB},
			"2 of the stages failed, 2 not built:\n" +
				"  stage a: process did not complete successfully: exit code: 3\n" +
				"  stage b: exit code: 4\n" +
				"  stage c: not built: stage a failed\n" +
				"  stage d: not built: stage c failed",
			map[string]string{"c": "not built: stage a failed", "d": "not built: stage c failed"},
		},
		{
			"a leaf fails", map[string]error{"d": errA},
			"1 of the stages failed:\n  stage d: process did not complete successfully: exit code: 3",
			nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, opts := fakePlan(t, chains, "d", "b", "e")
			f := newFakeSolver(plan, false, tt.outcomes)
			res, err := build.Run(t.Context(), f, plan, opts)
			if tt.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else if err == nil || err.Error() != tt.msg {
				t.Fatalf("error:\n%v\nwant:\n%s", err, tt.msg)
			}
			got := byName(res)
			for name, outcome := range tt.outcomes {
				var se *build.StageError
				if !errors.As(got[name].Err, &se) || se.Stage != name || !errors.Is(se, outcome) || got[name].Error != outcome.Error() {
					t.Errorf("stage %s: Err %v, Error %q; want a *StageError wrapping %v", name, got[name].Err, got[name].Error, outcome)
				}
				if !errors.Is(err, outcome) {
					t.Errorf("Run's error does not match stage %s's cause %v", name, outcome)
				}
			}
			for name, want := range tt.notBuilt {
				if got[name].Error != want || !errors.Is(got[name].Err, build.ErrDependencyFailed) {
					t.Errorf("stage %s: Error %q, Err %v; want %q, ErrDependencyFailed", name, got[name].Error, got[name].Err, want)
				}
				if slices.Contains(f.solved, name) {
					t.Errorf("stage %s solved after its dependency failed", name)
				}
			}
			if is := errors.Is(err, build.ErrDependencyFailed); is != (len(tt.notBuilt) > 0) {
				t.Errorf("errors.Is(Run's error, ErrDependencyFailed) = %v with %d stages not built", is, len(tt.notBuilt))
			}
			for name, s := range got {
				if _, failed := tt.outcomes[name]; !failed && tt.notBuilt[name] == "" && (s.Err != nil || s.Digest == "") {
					t.Errorf("stage %s: error %v, digest %q; want built", name, s.Err, s.Digest)
				}
			}
		})
	}
}

// TestRunStopsOnCancel: canceling ctx stops the stages in flight and those
// waiting for them, which never start; Run's error is context.Canceled.
func TestRunStopsOnCancel(t *testing.T) {
	tests := []struct {
		name     string
		inFlight bool // cancel while a is solving, else before Run
		notBuilt []string
	}{
		{"while a stage solves", true, []string{"c", "d"}},
		{"before the build", false, []string{"a", "b", "c", "d", "e"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, opts := fakePlan(t, chains, "d", "b", "e")
			f := newFakeSolver(plan, true, nil)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var res *build.Result
			var err error
			done := make(chan struct{})
			if !tt.inFlight {
				cancel()
			}
			go func() {
				defer close(done)
				res, err = build.Run(ctx, f, plan, opts)
			}()
			if tt.inFlight {
				// a, b and e start; c waits for a.
				started := []string{next(t, f), next(t, f), next(t, f)}
				slices.Sort(started)
				if !slices.Equal(started, []string{"a", "b", "e"}) {
					t.Fatalf("started %v, want a, b, e", started)
				}
				cancel()
			}
			<-done
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("error %v, want context.Canceled", err)
			}
			got := byName(res)
			for _, name := range tt.notBuilt {
				if slices.Contains(f.solved, name) {
					t.Errorf("stage %s solved after the cancel", name)
				}
				if !strings.HasPrefix(got[name].Error, "not built") || got[name].Err == nil {
					t.Errorf("stage %s: Error %q, Err %v; want not built", name, got[name].Error, got[name].Err)
				}
			}
			if !tt.inFlight && len(f.solved) > 0 {
				t.Errorf("solved %v after the cancel", f.solved)
			}
		})
	}
}

// sharing: builder and test share a cache mount, lint has a private one,
// other has none. All four depend only on base.
const sharing = `FROM busybox AS base
FROM base AS builder
RUN --mount=type=cache,target=/root/.cache/go-build go build
FROM base AS test
RUN --mount=type=cache,target=/root/.cache/go-build go test
FROM base AS lint
RUN --mount=type=cache,target=/root/.cache/go-build,sharing=private go vet
FROM base AS other
RUN true
FROM base AS final
COPY --from=builder / /
COPY --from=test / /
COPY --from=lint / /
COPY --from=other / /
`

// TestStagesSharingACacheMountRunInTurn: on one daemon, stages that share a
// cache mount run one after the other, so the second finds what the first
// put in it; stages without one still run beside them.
func TestStagesSharingACacheMountRunInTurn(t *testing.T) {
	plan, opts := fakePlan(t, sharing, "final")
	f := newFakeSolver(plan, true, nil)
	done := make(chan error)
	go func() {
		_, err := build.Run(t.Context(), f, plan, opts)
		done <- err
	}()
	if got := next(t, f); got != "base" {
		t.Fatalf("first stage started: %s, want base", got)
	}
	f.release["base"] <- nil
	three := []string{next(t, f), next(t, f), next(t, f)}
	slices.Sort(three)
	if want := []string{"builder", "lint", "other"}; !slices.Equal(three, want) {
		t.Fatalf("started %v after base, want %v: test shares builder's mount and waits", three, want)
	}
	// test starts once builder is done, failed or not: an order, not a dependency.
	f.release["builder"] <- errors.New("boom")
	if got := next(t, f); got != "test" {
		t.Fatalf("after builder: %s started, want test", got)
	}
	for _, s := range []string{"lint", "other", "test"} {
		f.release[s] <- nil
	}
	if err := <-done; !errors.Is(err, build.ErrDependencyFailed) {
		t.Errorf("error %v, want final not built (builder failed)", err)
	}
}
