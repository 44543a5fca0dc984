package build

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	"github.com/opencontainers/go-digest"

	"github.com/cairn-build/cairn/pkg/planner"
)

const (
	goBuild = "//root/.cache/go-build"
	goMod   = "/gomod"
)

// testCarrier carries goBuild and goMod, with snapshots found in the
// registry, and knows "//tmp/x", which it does not carry.
func testCarrier(ns string) *carrier {
	c := &carrier{ns: ns, byID: map[string]*mount{}}
	c.add("builder", planner.CacheMount{ID: ns + goBuild, Target: "/root/.cache/go-build", Carried: true, Snapshot: "reg.test/app:cache-mount-go-build"})
	c.add("test", planner.CacheMount{ID: ns + goBuild, Target: "/root/.cache/go-build", Carried: true, Snapshot: "reg.test/app:cache-mount-go-build"})
	c.add("builder", planner.CacheMount{ID: ns + goMod, Target: "/go/pkg/mod", Carried: true, Snapshot: "reg.test/app:cache-mount-gomod"})
	c.add("builder", planner.CacheMount{ID: ns + "//tmp/x", Target: "/tmp/x", Reason: "from=x seeds it"})
	for _, id := range c.carriedIDs() {
		m := c.byID[id]
		m.res.Source, m.res.SourceDigest = m.res.Snapshot, digest.FromString(id).String()
	}
	return c
}

// knownSteps are the step mounts of a solve whose LLB is known: by each
// exec op's digest, the cache IDs it mounts.
func knownSteps(byExec map[digest.Digest][]string) *stepMounts {
	sm := &stepMounts{ready: make(chan struct{}), byExec: byExec}
	close(sm.ready)
	return sm
}

// TestBuiltHandsOverMounts: a carried mount a step ran with is ready to
// save once every stage that mounts it is built, and only once; never
// when a stage that mounts it is built inside others, or its steps ran
// on several daemons.
func TestBuiltHandsOverMounts(t *testing.T) {
	s, other := &restoreSolver{}, &restoreSolver{}
	tests := []struct {
		name  string
		setup func(c *carrier)
		built []string
		want  [][]string // the IDs ready after each stage is built
	}{
		{name: "each mount after its last stage", built: []string{"builder", "test", "test"},
			want: [][]string{{goMod}, {goBuild}, nil}},
		{name: "the other order", built: []string{"test", "builder"}, want: [][]string{nil, {goBuild, goMod}}},
		{name: "no step ran with it", setup: func(c *carrier) { c.byID[goMod].res.Ran = false },
			built: []string{"builder"}, want: [][]string{nil}},
		{name: "a stage that mounts it is built inside others", setup: func(c *carrier) { c.byID[goMod].inside = true },
			built: []string{"builder"}, want: [][]string{nil}},
		{name: "its steps ran on two daemons", setup: func(c *carrier) { c.byID[goMod].res.ranOn = []Solver{s, other} },
			built: []string{"builder"}, want: [][]string{nil}},
		{name: "restored nowhere: not needed", setup: func(c *carrier) { c.byID[goMod].res.Restore = NotNeeded },
			built: []string{"builder"}, want: [][]string{nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testCarrier("")
			for _, id := range c.carriedIDs() {
				c.byID[id].res.Ran, c.byID[id].res.ranOn, c.byID[id].res.Restore = true, []Solver{s}, Restored
			}
			if tt.setup != nil {
				tt.setup(c)
			}
			for i, stage := range tt.built {
				var got []string
				for _, m := range c.built(stage) {
					got = append(got, m.ID)
					if len(m.ranOn) != 1 || m.ranOn[0] != s {
						t.Errorf("built(%s): %s to be saved on %v, want its steps' daemon", stage, m.ID, m.ranOn)
					}
				}
				if !slices.Equal(got, tt.want[i]) {
					t.Errorf("built(%s) = %v, want %v", stage, got, tt.want[i])
				}
			}
		})
	}
}

// TestUsedBy: the carried mounts a step runs with, found by its vertex's
// digest among the exec ops of the solve's LLB.
func TestUsedBy(t *testing.T) {
	run, other := digest.FromString("run"), digest.FromString("copy")
	unknown := &stepMounts{ready: make(chan struct{}), err: errNoConverter}
	close(unknown.ready)
	all := []string{goBuild, goMod}
	tests := []struct {
		name, ns string
		steps    *stepMounts
		vertex   digest.Digest
		want     []string
	}{
		{"one carried mount", "", knownSteps(map[digest.Digest][]string{run: {goBuild}}), run, []string{goBuild}},
		{"two, as the step mounts them", "", knownSteps(map[digest.Digest][]string{run: {goMod, goBuild}}), run, []string{goMod, goBuild}},
		{"known, not carried", "", knownSteps(map[digest.Digest][]string{run: {"//tmp/x"}}), run, nil},
		{"a step without cache mounts", "", knownSteps(map[digest.Digest][]string{run: {goBuild}}), other, nil},
		{"an ID the plan does not know: cannot tell", "", knownSteps(map[digest.Digest][]string{run: {"//elsewhere"}}), run, all},
		{"the LLB is not known: cannot tell", "", unknown, run, all},
		{"a namespace", "ns", knownSteps(map[digest.Digest][]string{run: {"ns" + goMod}}), run, []string{goMod}},
	}
	for _, tt := range tests {
		c := testCarrier(tt.ns)
		var want []string
		for _, id := range tt.want {
			want = append(want, tt.ns+id)
		}
		if got := c.usedBy(&client.Vertex{Digest: tt.vertex}, tt.steps); !slices.Equal(got, want) {
			t.Errorf("%s: usedBy = %q, want %q", tt.name, got, want)
		}
	}
}

// restoreSolver is BuildKit for the carrier: it records the definitions
// it solves, fails those of the IDs in broken, and, like BuildKit, closes
// status.
type restoreSolver struct {
	mu     sync.Mutex
	defs   []*llb.Definition
	broken map[string]bool
}

func (f *restoreSolver) Solve(ctx context.Context, def *llb.Definition, _ client.SolveOpt, status chan *client.SolveStatus) (*client.SolveResponse, error) {
	defer close(status)
	f.mu.Lock()
	f.defs = append(f.defs, def)
	f.mu.Unlock()
	time.Sleep(10 * time.Millisecond) // a stage waiting for this restore must wait
	for _, m := range cacheMountsOf(def) {
		if f.broken[m.ID] {
			return nil, errors.New("failed to fetch: blob sha256:0123 not found")
		}
	}
	return &client.SolveResponse{}, nil
}

// cacheMountsOf lists the persistent cache mounts of a definition's execs.
func cacheMountsOf(def *llb.Definition) []*pb.CacheOpt {
	var out []*pb.CacheOpt
	for _, raw := range def.Def {
		var op pb.Op
		if op.UnmarshalVT(raw) != nil {
			continue
		}
		for _, m := range op.GetExec().GetMounts() {
			if m.MountType == pb.MountType_CACHE {
				out = append(out, m.CacheOpt)
			}
		}
	}
	return out
}

// stageTry is a stage's solve on a daemon: a COPY that runs, then a RUN
// whose op mounts the cache IDs given (its LLB, llb, says so); once
// started, the RUN runs to its end only when ready() says its mounts are
// restored, else it waits to be canceled. cached makes every step come
// from the cache; quick makes the RUN report only its end.
type stageTry struct {
	solver        Solver // the daemon it runs on
	stage         string
	llb           *stepMounts // its RUN mounts the cache IDs it was made with
	cached, quick bool
	pulls         bool // the COPY's status shows a base image layer pulled
	steps         *stepCounter
	attempts      int
	ready         func() bool
}

func (s *stageTry) try(ctx context.Context, watch func(*client.SolveStatus, *stepMounts)) (*client.SolveResponse, error) {
	s.attempts++
	send := func(v client.Vertex) {
		st := &client.SolveStatus{Vertexes: []*client.Vertex{&v}}
		s.steps.observe(st)
		if watch != nil {
			watch(st, s.llb)
		}
	}
	now := time.Now()
	copyStep := client.Vertex{Digest: digest.FromString(s.stage + "copy"), Name: "[" + s.stage + " 2/3] COPY . .", Started: &now, Completed: &now, Cached: s.cached || s.attempts > 1}
	if s.pulls && watch != nil {
		watch(&client.SolveStatus{Statuses: []*client.VertexStatus{{ID: "extracting sha256:0123", Vertex: digest.FromString(s.stage + "from")}}}, s.llb)
	}
	send(copyStep)
	run := client.Vertex{Digest: s.run(), Name: "[" + s.stage + " 3/3] RUN go build", Started: &now, Cached: s.cached}
	if !s.cached && !s.quick {
		send(run) // started
	}
	if s.cached || s.quick || s.ready() {
		run.Completed = &now
		send(run)
		return &client.SolveResponse{}, nil
	}
	<-ctx.Done()
	run.Completed, run.Error = &now, "context canceled"
	send(run)
	return nil, context.Cause(ctx)
}

func newStageTry(c *carrier, solver Solver, stage string, ids ...string) *stageTry {
	s := &stageTry{solver: solver, stage: stage, steps: newStepCounter(planner.StagePlan{Name: stage, Index: 1, Standalone: true})}
	s.llb = knownSteps(map[digest.Digest][]string{s.run(): ids})
	s.ready = func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, id := range c.usedBy(&client.Vertex{Digest: s.run()}, s.llb) {
			if c.byID[id].unrestored(s.solver) {
				return false
			}
		}
		return true
	}
	return s
}

// run is the digest of the stage's RUN.
func (s *stageTry) run() digest.Digest { return digest.FromString(s.stage + "run") }

func drain() (chan *client.SolveStatus, func() []string) {
	ch := make(chan *client.SolveStatus)
	var warnings []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for st := range ch {
			for _, w := range st.Warnings {
				warnings = append(warnings, string(w.Short))
			}
		}
	}()
	return ch, func() []string { close(ch); <-done; return warnings }
}

// TestRestoreBeforeUse: two stages whose RUNs use the same carried mount
// are each canceled when the RUN starts, the mount is restored once for
// both, and each is solved again; the step the canceled attempt ran is
// not counted as cached.
func TestRestoreBeforeUse(t *testing.T) {
	solver := &restoreSolver{}
	c := testCarrier("")
	status, warnings := drain()
	stages := []*stageTry{
		newStageTry(c, solver, "builder", goBuild),
		newStageTry(c, solver, "test", goBuild),
	}
	var wg sync.WaitGroup
	errs := make([]error, len(stages))
	for i, s := range stages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.solve(t.Context(), s.solver, s.stage, status, s.steps, false, s.try)
		}()
	}
	wg.Wait()
	if w := warnings(); len(w) > 0 {
		t.Errorf("warnings %q", w)
	}
	for i, s := range stages {
		if errs[i] != nil {
			t.Errorf("stage %s: %v", s.stage, errs[i])
		}
		if s.attempts != 2 {
			t.Errorf("stage %s: %d attempts, want 2 (canceled at the RUN, then again)", s.stage, s.attempts)
		}
		if steps, cached := s.steps.counts(); steps != 2 || cached != 0 {
			t.Errorf("stage %s: %d steps, %d cached; want 2, none cached", s.stage, steps, cached)
		}
	}
	if len(solver.defs) != 1 {
		t.Fatalf("%d restores, want one for the mount both stages use", len(solver.defs))
	}
	mounts := cacheMountsOf(solver.defs[0])
	if len(mounts) != 1 || mounts[0].ID != goBuild || mounts[0].Sharing != pb.CacheSharingOpt_LOCKED {
		t.Errorf("restore mounts %v: want %s, locked", mounts, goBuild)
	}
	assertRuns(t, solver.defs[0], "cp -a /snapshot/. /cache/ && "+filesBytes("/snapshot"), "reg.test/app@"+digest.FromString(goBuild).String())
	res := c.results()
	want := map[string]RestoreState{goBuild: Restored, goMod: NotNeeded, "//tmp/x": Skipped}
	for _, m := range res {
		if m.Restore != want[m.ID] || m.Ran != (m.ID == goBuild) {
			t.Errorf("mount %s: %s, ran %v; want %s, ran %v", m.ID, m.Restore, m.Ran, want[m.ID], m.ID == goBuild)
		}
	}
	if got := res[0].Stages; !slices.Equal(got, []string{"builder", "test"}) {
		t.Errorf("stages of %s: %v", goBuild, got)
	}
}

// TestPrefetchWhenLayersArePulled: once a stage's solve pulls a base
// image's layers, the snapshots of the stage's carried mounts are fetched
// by an exec that mounts no cache directory, once per daemon; a solve
// that pulls nothing, or ignores the cache, fetches none.
func TestPrefetchWhenLayersArePulled(t *testing.T) {
	tests := []struct {
		name           string
		pulls, noCache bool
		want           []string // the snapshots fetched
	}{
		{name: "layers pulled", pulls: true, want: []string{"reg.test/app@" + digest.FromString(goBuild).String(), "reg.test/app@" + digest.FromString(goMod).String()}},
		{name: "nothing pulled"},
		{name: "no cache", pulls: true, noCache: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			solver := &restoreSolver{}
			c := testCarrier("")
			status, warnings := drain()
			s := newStageTry(c, solver, "builder", goBuild)
			s.pulls = tt.pulls
			if _, err := c.solve(t.Context(), solver, s.stage, status, s.steps, tt.noCache, s.try); err != nil {
				t.Fatal(err)
			}
			if w := warnings(); len(w) > 0 {
				t.Errorf("warnings %q", w)
			}
			var fetched []string
			for _, def := range solver.defs {
				if len(cacheMountsOf(def)) > 0 {
					continue // a restore
				}
				fetched = append(fetched, fetchedImage(t, def))
			}
			slices.Sort(fetched)
			if !slices.Equal(fetched, tt.want) {
				t.Errorf("fetched %q, want %q", fetched, tt.want)
			}
		})
	}
}

// fetchedImage is the image a prefetch definition's exec mounts read-only
// at snapshotDir, running busybox true.
func fetchedImage(t *testing.T, def *llb.Definition) string {
	t.Helper()
	ops := map[digest.Digest]*pb.Op{}
	var exec *pb.ExecOp
	var inputs []*pb.Input
	for _, raw := range def.Def {
		var op pb.Op
		if op.UnmarshalVT(raw) != nil {
			continue
		}
		ops[digest.FromBytes(raw)] = &op
		if e := op.GetExec(); e != nil {
			exec, inputs = e, op.Inputs
		}
	}
	if exec == nil || !slices.Equal(exec.Meta.Args, []string{"/bin/busybox", "true"}) {
		t.Fatalf("prefetch exec %v, want busybox true", exec)
	}
	for _, m := range exec.Mounts {
		if m.Dest == snapshotDir && m.Readonly && m.Input >= 0 {
			src := ops[digest.Digest(inputs[m.Input].Digest)].GetSource()
			return strings.TrimPrefix(src.GetIdentifier(), "docker-image://")
		}
	}
	t.Fatalf("prefetch mounts %v: no read-only snapshot at %s", exec.Mounts, snapshotDir)
	return ""
}

// TestCountBytes: the line filesBytes prints is taken out of the exec's
// logs, its count kept; the rest of the logs pass on.
func TestCountBytes(t *testing.T) {
	tests := []struct {
		name  string
		logs  []string
		want  int64
		shown []string
	}{
		{name: "the line alone", logs: []string{bytesLine + "127058782\n"}, want: 127058782},
		{name: "among other output", logs: []string{"copying\n" + bytesLine + "42\ndone\n"}, want: 42, shown: []string{"copying\ndone\n"}},
		{name: "no line", logs: []string{"copying\n"}, shown: []string{"copying\n"}},
		{name: "not a number", logs: []string{bytesLine + "many\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := make(chan *client.SolveStatus)
			var n int64
			in := countBytes(out, &n)
			go func() {
				defer close(in)
				for _, l := range tt.logs {
					in <- &client.SolveStatus{Logs: []*client.VertexLog{{Stream: 1, Data: []byte(l)}}}
				}
			}()
			var shown []string
			for st := range out {
				for _, l := range st.Logs {
					shown = append(shown, string(l.Data))
				}
			}
			if n != tt.want || !slices.Equal(shown, tt.shown) {
				t.Errorf("count %d, logs shown %q; want %d, %q", n, shown, tt.want, tt.shown)
			}
		})
	}
}

// execLine is the shell line of the definition's exec.
func execLine(def *llb.Definition) string {
	for _, raw := range def.Def {
		var op pb.Op
		if op.UnmarshalVT(raw) == nil && op.GetExec() != nil {
			return op.GetExec().Meta.Args[len(op.GetExec().Meta.Args)-1]
		}
	}
	return ""
}

// assertRuns checks that the definition's exec runs line, every time (a
// nonce in its env, no IgnoreCache: that would empty the cache directory),
// with the image src mounted.
func assertRuns(t *testing.T, def *llb.Definition, line, src string) {
	t.Helper()
	var sawExec, sawSrc bool
	for _, raw := range def.Def {
		var op pb.Op
		if op.UnmarshalVT(raw) != nil {
			continue
		}
		if e := op.GetExec(); e != nil {
			sawExec = true
			if args := e.Meta.Args; len(args) != 4 || args[3] != line {
				t.Errorf("exec args %q, want busybox sh -c %q", args, line)
			}
			if !slices.ContainsFunc(e.Meta.Env, func(kv string) bool { return strings.HasPrefix(kv, "CAIRN_NONCE=") && len(kv) > len("CAIRN_NONCE=") }) {
				t.Errorf("exec env %q: no nonce", e.Meta.Env)
			}
		}
		if s := op.GetSource(); s != nil && strings.HasPrefix(s.Identifier, "docker-image://") {
			sawSrc = sawSrc || strings.HasSuffix(s.Identifier, src)
		}
	}
	for d, md := range def.Metadata {
		if md.IgnoreCache {
			t.Errorf("vertex %s ignores the cache", d)
		}
	}
	if !sawExec || !sawSrc {
		t.Errorf("definition: exec %v, image %s %v", sawExec, src, sawSrc)
	}
}

// TestRestoreWhenNeeded: what a stage's solve costs in each case.
func TestRestoreWhenNeeded(t *testing.T) {
	tests := []struct {
		name       string
		cached     bool // every step from the cache
		quick      bool // the RUN is seen only when done
		missing    bool // no snapshot in the registry
		broken     bool
		noCache    bool // the solve ignores the cache
		attempts   int
		restores   int
		state      RestoreState
		ran, warns bool
		line       string // how the restore begins; "cp -a " unless set
	}{
		{name: "no change", cached: true, attempts: 1, state: NotNeeded},
		{name: "edit", attempts: 2, restores: 1, state: Restored, ran: true},
		{name: "first build", missing: true, attempts: 1, state: Missing, ran: true},
		{name: "broken snapshot", broken: true, attempts: 2, restores: 1, state: Broken, ran: true, warns: true},
		// Done before it was seen: restored after, so a save keeps the
		// snapshot's files, but none over the step's own.
		{name: "step done first", quick: true, attempts: 1, restores: 1, state: Restored, ran: true, line: "cp -an "},
		// BuildKit empties the mounts of a --no-cache solve: no restore.
		{name: "no cache", noCache: true, attempts: 1, state: Skipped, ran: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			solver := &restoreSolver{broken: map[string]bool{goBuild: tt.broken}}
			c := testCarrier("")
			if tt.missing {
				m := c.byID[goBuild]
				m.res.Source, m.res.SourceDigest, m.res.Restore = "", "", Missing
			}
			s := newStageTry(c, solver, "builder", goBuild)
			s.cached, s.quick = tt.cached, tt.quick
			status, warnings := drain()
			_, err := c.solve(t.Context(), solver, s.stage, status, s.steps, tt.noCache, s.try)
			w := warnings()
			if err != nil {
				t.Fatal(err)
			}
			m := c.results()[0]
			if s.attempts != tt.attempts || len(solver.defs) != tt.restores || m.Restore != tt.state || m.Ran != tt.ran || (len(w) > 0) != tt.warns {
				t.Errorf("%d attempts, %d restores, mount %s, ran %v, warnings %q; want %d, %d, %s, %v, warnings %v",
					s.attempts, len(solver.defs), m.Restore, m.Ran, w, tt.attempts, tt.restores, tt.state, tt.ran, tt.warns)
			}
			if tt.broken && !strings.Contains(m.Note, "cannot be restored") {
				t.Errorf("note %q", m.Note)
			}
			if tt.line == "" {
				tt.line = "cp -a "
			}
			for _, def := range solver.defs {
				if line := execLine(def); !strings.HasPrefix(line, tt.line) {
					t.Errorf("restore runs %q, want it to begin %q", line, tt.line)
				}
			}
		})
	}
}

// TestFailedAttemptIsNotRetried: a solve that fails by itself is the
// stage's failure, even with a mount to restore.
func TestFailedAttemptIsNotRetried(t *testing.T) {
	solver := &restoreSolver{}
	c := testCarrier("")
	boom := errors.New("process did not complete successfully: exit code: 1")
	attempts := 0
	status, warnings := drain()
	defer warnings()
	_, err := c.solve(t.Context(), solver, "b", status, newStepCounter(planner.StagePlan{Name: "b"}), false, func(ctx context.Context, watch func(*client.SolveStatus, *stepMounts)) (*client.SolveResponse, error) {
		attempts++
		now := time.Now()
		run := digest.FromString("b run")
		watch(&client.SolveStatus{Vertexes: []*client.Vertex{{Digest: run, Name: "[b 2/2] RUN go mod download", Started: &now, Completed: &now}}}, knownSteps(map[digest.Digest][]string{run: {goMod}}))
		return nil, boom
	})
	if !errors.Is(err, boom) || attempts != 1 || len(solver.defs) != 0 {
		t.Errorf("err %v after %d attempts and %d restores; want the solve's error, no retry, no restore", err, attempts, len(solver.defs))
	}
}

// TestRestoreOnEachDaemon: stages of a pool on two daemons each restore
// the mount they share on their own daemon; a mount steps ran with on
// both is not saved, neither daemon holding all of it.
func TestRestoreOnEachDaemon(t *testing.T) {
	a, b := &restoreSolver{}, &restoreSolver{}
	c := testCarrier("")
	status, warnings := drain()
	defer warnings()
	for _, s := range []*stageTry{
		newStageTry(c, a, "builder", goBuild),
		newStageTry(c, b, "test", goBuild),
	} {
		if _, err := c.solve(t.Context(), s.solver, s.stage, status, s.steps, false, s.try); err != nil {
			t.Fatal(err)
		}
		if s.attempts != 2 {
			t.Errorf("stage %s: %d attempts, want 2", s.stage, s.attempts)
		}
	}
	if len(a.defs) != 1 || len(b.defs) != 1 {
		t.Errorf("restores: %d on one daemon, %d on the other; want one each", len(a.defs), len(b.defs))
	}
	res := &Result{Mounts: c.results()}
	if err := SaveMounts(t.Context(), nil, res, Options{}, 0); err != nil {
		t.Fatal(err)
	}
	if m := res.Mounts[0]; m.Save != "" || !strings.Contains(m.Note, "several builders") || len(a.defs)+len(b.defs) != 2 {
		t.Errorf("mount %+v saved with %d solves: want it left unsaved", m, len(a.defs)+len(b.defs)-2)
	}
}

// TestReadOnlyMountReadsItsFallbacks: a build that may not write (a pull
// request's tier) has no snapshot ref of its own; it reads the fallbacks,
// its own ref first, and asks the registry for no empty ref.
func TestReadOnlyMountReadsItsFallbacks(t *testing.T) {
	c := &carrier{byID: map[string]*mount{}}
	own, mains := "reg.test/app:cache-mount-feature-go-build", "reg.test/app:cache-mount-main-go-build"
	c.add("builder", planner.CacheMount{ID: goBuild, Target: "/root/.cache/go-build", Carried: true, Fallbacks: []string{own, mains}})
	m := c.byID[goBuild]
	if !slices.Equal(m.refs, []string{own, mains}) || m.res.Snapshot != "" {
		t.Errorf("refs %q, snapshot %q; want the fallbacks and no snapshot to write", m.refs, m.res.Snapshot)
	}
}

// TestMountOrder: stages that share an empty cache mount run in turn; once
// the mount is restored from a snapshot it is full from the start, and they
// run together again. A private mount never orders.
func TestMountOrder(t *testing.T) {
	const df = `FROM busybox AS base
FROM base AS builder
RUN --mount=type=cache,target=/root/.cache/go-build go build
FROM base AS test
RUN --mount=type=cache,target=/root/.cache/go-build go test
FROM base AS lint
RUN --mount=type=cache,target=/root/.cache/go-build,sharing=private go vet
FROM base AS final
COPY --from=builder / /
COPY --from=test / /
COPY --from=lint / /
`
	plan, err := planner.New([]byte(df), planner.Options{Targets: []planner.Target{{Name: "final"}}})
	if err != nil {
		t.Fatal(err)
	}
	empty := mountOrder(plan, func(string) bool { return false })
	if want := map[string][]string{"test": {"builder"}}; len(empty) != 1 || !slices.Equal(empty["test"], want["test"]) {
		t.Errorf("empty mount: order %v, want %v", empty, want)
	}
	if restored := mountOrder(plan, func(string) bool { return true }); len(restored) != 0 {
		t.Errorf("restored mount: order %v, want none", restored)
	}
}

// TestJoinMounts: the mounts of a Pool's per-platform builds are one per
// cache ID; one a step ran with on any platform ran, on every daemon it ran
// on, and a platform that had to restore it says how.
func TestJoinMounts(t *testing.T) {
	amd, arm := &restoreSolver{}, &restoreSolver{}
	mount := func(restore RestoreState, ran bool, on Solver, stages ...string) MountResult {
		m := MountResult{ID: "//cache", Snapshot: "r/app:cache-mount", Stages: stages, Restore: restore, Ran: ran}
		if on != nil {
			m.ranOn = []Solver{on}
		}
		return m
	}
	tests := []struct {
		name        string
		builds      [][]MountResult
		ran         bool
		ranOn       []Solver
		restore     RestoreState
		stages      []string
		otherMounts int
	}{
		{"one daemon builds both", [][]MountResult{{mount(Missing, true, amd, "app")}, {mount(Missing, true, amd, "app")}}, true, []Solver{amd}, Missing, []string{"app"}, 0},
		{"one daemon each", [][]MountResult{{mount(Restored, true, amd, "app")}, {mount(Restored, true, arm, "app")}}, true, []Solver{amd, arm}, Restored, []string{"app"}, 0},
		{"ran on the second alone", [][]MountResult{{mount(NotNeeded, false, nil, "app")}, {mount(Restored, true, arm, "app", "test")}}, true, []Solver{arm}, Restored, []string{"app", "test"}, 0},
		{"a mount of one platform's plan", [][]MountResult{{mount(NotNeeded, false, nil)}, {mount(NotNeeded, false, nil), {ID: "//other"}}}, false, nil, NotNeeded, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := JoinMounts(tt.builds...)
			if len(got) != 1+tt.otherMounts {
				t.Fatalf("%d mounts, want %d: %+v", len(got), 1+tt.otherMounts, got)
			}
			m := got[0]
			if m.Ran != tt.ran || !slices.Equal(m.ranOn, tt.ranOn) || m.Restore != tt.restore || !slices.Equal(m.Stages, tt.stages) {
				t.Errorf("joined %+v (ran on %v), want ran %v on %v, restore %s, stages %v", m, m.ranOn, tt.ran, tt.ranOn, tt.restore, tt.stages)
			}
		})
	}
}
