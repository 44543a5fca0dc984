package build_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/planner"
)

// wide has three independent stages and one that copies from all three.
const wide = `FROM busybox:1.36 AS a
FROM busybox:1.36 AS b
FROM busybox:1.36 AS c
FROM busybox:1.36 AS all
COPY --from=a / /a
COPY --from=b / /b
COPY --from=c / /c
`

// solveLog records every solve of a pool's fake daemons.
type solveLog struct {
	mu     sync.Mutex
	solves []fakeSolve
}

type fakeSolve struct {
	stage, builder string
	imports        []string // cache import refs
	pushedTo       string   // the image exporter's name attr when it pushes
	err            error
}

func (l *solveLog) of(stage string) []fakeSolve {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []fakeSolve
	for _, s := range l.solves {
		if s.stage == stage {
			out = append(out, s)
		}
	}
	return out
}

// barrier holds the solves of its stages until all of them have started,
// so they are in flight together.
type barrier struct {
	mu      sync.Mutex
	waiting map[string]bool
	open    chan struct{}
}

func newBarrier(stages ...string) *barrier {
	b := &barrier{waiting: map[string]bool{}, open: make(chan struct{})}
	for _, s := range stages {
		b.waiting[s] = true
	}
	return b
}

func (b *barrier) arrive(stage string) {
	b.mu.Lock()
	if !b.waiting[stage] {
		b.mu.Unlock()
		return
	}
	delete(b.waiting, stage)
	if len(b.waiting) == 0 {
		close(b.open)
	}
	b.mu.Unlock()
	select {
	case <-b.open:
	case <-time.After(20 * time.Second): // a placement bug, not a hung test
	}
}

// fakeDaemon solves as one daemon of a pool: it holds its stages at gate
// (when set), and fails the stages in fail with their error.
type fakeDaemon struct {
	name string
	log  *solveLog
	gate *barrier
	fail map[string]error
}

func (d *fakeDaemon) Solve(ctx context.Context, _ *llb.Definition, opt client.SolveOpt, st chan *client.SolveStatus) (*client.SolveResponse, error) {
	defer close(st)
	stage := opt.FrontendAttrs["target"]
	if d.gate != nil {
		d.gate.arrive(stage)
	}
	s := fakeSolve{stage: stage, builder: d.name, err: d.fail[stage]}
	for _, imp := range opt.CacheImports {
		s.imports = append(s.imports, imp.Attrs["ref"])
	}
	if e := opt.Exports[0]; e.Attrs["push"] == "true" {
		s.pushedTo = e.Attrs["name"]
	}
	d.log.mu.Lock()
	d.log.solves = append(d.log.solves, s)
	d.log.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	return &client.SolveResponse{ExporterResponse: map[string]string{"containerimage.digest": digest.FromString(stage).String()}}, nil
}

// poolPlan plans the Dockerfile's last stage with a cache ref per stage
// (none when repo is ""); the build's cache mode is off, so nothing is
// probed or exported but what the pool hands off.
func poolPlan(t *testing.T, dockerfile, repo string) (*planner.Plan, build.Options) {
	t.Helper()
	po := planner.Options{}
	if repo != "" {
		po.CacheRef = func(stage string) string { return repo + ":cache-" + stage }
	}
	return planWith(t, dockerfile, po)
}

func newPool(t *testing.T, daemons ...*fakeDaemon) *build.Pool {
	t.Helper()
	var builders []build.Builder
	for _, d := range daemons {
		builders = append(builders, build.Builder{Name: d.name, Solver: d})
	}
	p, err := build.NewPool(builders...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func runPool(t *testing.T, pool *build.Pool, plan *planner.Plan, opts build.Options) (*build.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	return build.RunPool(ctx, pool, plan, opts)
}

// TestPoolSpreadsIndependentStages: three stages in flight at once go to
// three daemons; the stage that needs them all goes to one of them and
// imports the two it did not build, by digest, from the registry, where
// they were staged though the build does not push.
func TestPoolSpreadsIndependentStages(t *testing.T) {
	const repo = "registry.example.com/app"
	plan, opts := poolPlan(t, wide, repo)
	log := &solveLog{}
	gate := newBarrier("a", "b", "c")
	var daemons []*fakeDaemon
	for _, name := range []string{"one", "two", "three"} {
		daemons = append(daemons, &fakeDaemon{name: name, log: log, gate: gate})
	}
	var logged testenv.Notes
	opts.Logger = logged.Logger()
	res, err := runPool(t, newPool(t, daemons...), plan, opts)
	if err != nil {
		t.Fatal(err)
	}
	ran := map[string]string{}
	for _, s := range res.Stages {
		ran[s.Name] = s.Builder
	}
	testenv.OnePerDaemon(t, ran, []string{"a", "b", "c"}, []string{"one", "two", "three"})
	for _, stage := range []string{"a", "b", "c"} {
		s := log.of(stage)
		if len(s) != 1 || s[0].pushedTo != repo {
			t.Errorf("stage %s: solves %+v, want one, pushed by digest to %s", stage, s, repo)
		}
	}
	all := log.of("all")
	if len(all) != 1 {
		t.Fatalf("all solved %d times", len(all))
	}
	var want []string
	for _, dep := range []string{"a", "b", "c"} {
		if ran[dep] != all[0].builder {
			want = append(want, repo+"@"+digest.FromString(dep).String())
		}
	}
	if !slices.Equal(all[0].imports, want) || len(want) != 2 {
		t.Errorf("all on %s imported %v, want the two dependencies built elsewhere: %v", all[0].builder, all[0].imports, want)
	}
	if all[0].pushedTo != "" {
		t.Errorf("all, which nothing depends on, was pushed to %s", all[0].pushedTo)
	}
	if notes := logged.Messages(); len(notes) != 1 || !strings.Contains(notes[0], "by digest") {
		t.Errorf("notes %q, want one saying stages go to the registry by digest", logged.Messages())
	}
}

// TestPoolWithoutCacheRefsStaysOnTheDefault: with no cache ref to hand
// images over in, every stage runs on the default daemon.
func TestPoolWithoutCacheRefsStaysOnTheDefault(t *testing.T) {
	plan, opts := poolPlan(t, wide, "")
	log := &solveLog{}
	var logged testenv.Notes
	opts.Logger = logged.Logger()
	res, err := runPool(t, newPool(t, &fakeDaemon{name: "one", log: log}, &fakeDaemon{name: "two", log: log}), plan, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Stages {
		if s.Builder != "one" {
			t.Errorf("stage %s ran on %s, want the default, one", s.Name, s.Builder)
		}
	}
	for _, s := range log.solves {
		if s.pushedTo != "" || len(s.imports) > 0 {
			t.Errorf("stage %s pushed to %q, imported %v: want neither", s.stage, s.pushedTo, s.imports)
		}
	}
	if notes := logged.Messages(); len(notes) != 1 || !strings.Contains(notes[0], "no cache ref") {
		t.Errorf("notes %q, want one saying why stages stay", logged.Messages())
	}
}

var unavailable = status.Error(codes.Unavailable, "connection error: desc = \"transport: Error while dialing: dial unix /x.sock: connect: connection refused\"")

// TestPoolRetriesOnAnotherDaemon: a stage whose daemon went away is solved
// again, once, on another daemon; a build error is not retried; when the
// second daemon goes away too, the stage fails with ErrBuilderGone.
func TestPoolRetriesOnAnotherDaemon(t *testing.T) {
	exit1 := errors.New("process \"/bin/sh -c false\" did not complete successfully: exit code: 1")
	tests := []struct {
		name      string
		fail      []map[string]error // per daemon
		wantErr   error
		wantRuns  []string // daemons stage a was solved on
		wantBuilt string
	}{
		{"gone once", []map[string]error{{"a": unavailable}, nil}, nil, []string{"one", "two"}, "two"},
		{"build error", []map[string]error{{"a": exit1}, nil}, exit1, []string{"one"}, ""},
		{"gone twice", []map[string]error{{"a": unavailable}, {"a": unavailable}}, build.ErrBuilderGone, []string{"one", "two"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, opts := poolPlan(t, "FROM busybox:1.36 AS a\n", "registry.example.com/app")
			log := &solveLog{}
			pool := newPool(t, &fakeDaemon{name: "one", log: log, fail: tt.fail[0]}, &fakeDaemon{name: "two", log: log, fail: tt.fail[1]})
			res, err := runPool(t, pool, plan, opts)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			var runs []string
			for _, s := range log.of("a") {
				runs = append(runs, s.builder)
			}
			if !slices.Equal(runs, tt.wantRuns) {
				t.Errorf("a solved on %v, want %v", runs, tt.wantRuns)
			}
			if r := res.Stages[0]; tt.wantBuilt != "" && (r.Builder != tt.wantBuilt || r.Digest == "" || !strings.Contains(r.Note, "builder one went away")) {
				t.Errorf("result %+v, want built on %s with a note", r, tt.wantBuilt)
			}
		})
	}
}

// TestPoolForPlatform: a platform is built by the daemons that build on
// it, else by those that list it (one build platform among them), else by
// the default, emulating it.
func TestPoolForPlatform(t *testing.T) {
	daemon := func(name string, ps ...string) build.Builder {
		b := build.Builder{Name: name}
		for _, p := range ps {
			b.Platforms = append(b.Platforms, platforms.MustParse(p))
		}
		return b
	}
	pool, err := build.NewPool(
		daemon("amd", "linux/amd64", "linux/386"),
		daemon("arm", "linux/arm64", "linux/amd64"),
		daemon("amd2", "linux/amd64"),
		daemon("arm2", "linux/arm64/v8"),
	)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		platform string
		want     []string
		emulated bool
	}{
		{"", []string{"amd", "amd2"}, false}, // the default's build platform
		{"linux/amd64", []string{"amd", "amd2"}, false},
		{"linux/arm64", []string{"arm", "arm2"}, false},
		{"linux/386", []string{"amd"}, false},
		{"linux/s390x", []string{"amd"}, true},
	}
	for _, tt := range tests {
		sub, emulated := pool.For(tt.platform)
		var got []string
		for _, b := range sub.Builders() {
			got = append(got, b.Name)
		}
		if !slices.Equal(got, tt.want) || emulated != tt.emulated {
			t.Errorf("For(%q) = %v, emulated %v; want %v, %v", tt.platform, got, emulated, tt.want, tt.emulated)
		}
	}
}

// TestResultFinal: a stage built per platform publishes its index.
func TestResultFinal(t *testing.T) {
	desc := &ocispecs.Descriptor{MediaType: ocispecs.MediaTypeImageIndex, Digest: digest.FromString("index")}
	res := &build.Result{
		Stages: []build.StageResult{
			{Name: "app", Platform: "linux/amd64", Digest: "sha256:amd", ConfigDigest: "sha256:cfg", CacheDigest: "sha256:amd"},
			{Name: "app", Platform: "linux/arm64", Digest: "sha256:arm", CacheDigest: "sha256:arm"},
			{Name: "lone", Digest: "sha256:lone"},
		},
		Indexes: []build.Index{{Stage: "app", Digest: desc.Digest.String(), Descriptor: desc, CacheDigest: "sha256:caches"}},
	}
	app, ok := res.Final("app")
	if !ok || app.Digest != desc.Digest.String() || app.CacheDigest != "sha256:caches" || app.ConfigDigest != "" || app.Descriptor != desc || app.Platform != "" {
		t.Errorf("Final(app) = %+v, %v; want the index", app, ok)
	}
	if lone, ok := res.Final("lone"); !ok || lone.Digest != "sha256:lone" {
		t.Errorf("Final(lone) = %+v, %v", lone, ok)
	}
	if _, ok := res.Final("none"); ok {
		t.Error("Final(none) found a stage")
	}
}
