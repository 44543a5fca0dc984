package cairn_test

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/buildkit/client"

	"github.com/cairn-build/cairn/internal/devenv"
	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/render"
)

// wideProject loads a copy of examples/wide whose stages sleep busy
// seconds, reproducibly: a fixed source date epoch, clamped file times.
func wideProject(t *testing.T, repo, busy, mode string) *cairn.Project {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("cp", "-r", filepath.Join("..", "..", "examples", "wide")+"/.", dir).CombinedOutput(); err != nil {
		t.Fatalf("copy the example: %v\n%s", err, out)
	}
	p, err := cairn.Load(t.Context(), cairn.LoadOptions{
		Config:          filepath.Join(dir, "build.yaml"),
		Overrides:       config.Overrides{Repository: repo, Args: map[string]string{"BUSY": busy}, CacheMode: mode},
		SourceDateEpoch: "1700000000",
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// dialPool dials the daemons, named one, two, three, ...
func dialPool(t *testing.T, daemons ...*devenv.Daemon) *cairn.Pool {
	t.Helper()
	return dialNamed(t, []string{"one", "two", "three", "four"}, daemons...)
}

// dialNamed dials the daemons, each named as in names.
func dialNamed(t *testing.T, names []string, daemons ...*devenv.Daemon) *cairn.Pool {
	t.Helper()
	var opts []cairn.DaemonOptions
	for i, d := range daemons {
		opts = append(opts, cairn.DaemonOptions{Addr: d.Addr, Name: names[i]})
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	pool, err := cairn.DialPool(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	return pool
}

func poolRun(t *testing.T, pool *cairn.Pool, p *cairn.Project, opts cairn.RunOptions) (*cairn.Report, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	return pool.Run(ctx, p, opts)
}

// TestPoolSpreadsIndependentStages: on three daemons, the three
// independent stages of examples/wide run one on each, and the stage that
// copies from them imports the images it did not build from the registry.
// The images are those one daemon builds: digest for digest in max mode
// (the target's provenance aside, which is each build's own);
// in inline mode layer for layer, since an inline cache records when its
// layers were made (also from one build on one daemon to the next).
func TestPoolSpreadsIndependentStages(t *testing.T) {
	pool := dialPool(t, testenv.NewDaemon(t), testenv.NewDaemon(t), testenv.NewDaemon(t))
	daemon := testenv.NewDaemon(t)
	for i, mode := range []string{config.CacheInline, config.CacheMax} {
		busy := strconv.Itoa(i + 1) // no step cached from the mode before
		t.Run(mode, func(t *testing.T) {
			pooledRepo, singleRepo := testenv.Repo(t)+"-pool", testenv.Repo(t)+"-single"
			status := watch()
			opts := cairn.RunOptions{Push: true, RewriteTimestamp: true, Status: status.ch}
			pooled, err := poolRun(t, pool, wideProject(t, pooledRepo, busy, mode), opts)
			status.close()
			if err != nil {
				t.Fatalf("pool: %v", err)
			}
			// Handed over, not built again: each sleep ran once, in its own stage.
			if ran := status.ran("RUN sleep", time.Duration(i+1)*time.Second); ran != 3 {
				t.Errorf("the sleeps ran %d times on the pool, want 3", ran)
			}
			opts.Status = nil
			testenv.ValidateReport(t, metadata(t, pooled))
			single, err := runOn(t, daemon.Addr, wideProject(t, singleRepo, busy, mode), opts)
			if err != nil {
				t.Fatalf("one daemon: %v", err)
			}
			assertSpread(t, pooled)
			for i, s := range single.Stages {
				if s.Builder != "" {
					t.Errorf("one daemon: stage %s names builder %q", s.Name, s.Builder)
				}
				p := pooled.Stages[i]
				if mode == config.CacheMax && (p.Name != s.Name || p.Digest == "" || (p.Digest != s.Digest && !sameImages(t, pooledRepo+"@"+p.Digest, singleRepo+"@"+s.Digest))) {
					t.Errorf("stage %s: %s on the pool, %s on one daemon", s.Name, p.Digest, s.Digest)
				}
			}
			p, s := testenv.Tags(t, pooledRepo)["latest"], testenv.Tags(t, singleRepo)["latest"]
			if p != pooled.Targets[0].Digest || (mode == config.CacheMax && !sameImages(t, pooledRepo+":latest", singleRepo+":latest")) {
				t.Errorf("latest: %s on the pool, %s on one daemon, %s in the report", p, s, pooled.Targets[0].Digest)
			}
			if pl, sl := layers(t, pooledRepo+":latest"), layers(t, singleRepo+":latest"); !slices.Equal(pl, sl) || len(pl) != 4 {
				t.Errorf("latest's layers: %v on the pool, %v on one daemon", pl, sl)
			}
		})
	}
}

// assertSpread checks that examples/wide's three independent stages ran
// each on its own daemon, and that the fourth imported the two it did not
// build by digest; the summary says which daemon built each stage.
func assertSpread(t *testing.T, r *cairn.Report) {
	t.Helper()
	builders := map[string]string{}
	for _, s := range r.Stages {
		builders[s.Name] = s.Builder
	}
	testenv.OnePerDaemon(t, builders, []string{"one", "two", "three"}, []string{"one", "two", "three"})
	all := r.Stages[3]
	var handedOver []string
	for _, imp := range all.CacheImports {
		if strings.Contains(imp.Ref, "@sha256:") {
			handedOver = append(handedOver, imp.Via)
		}
	}
	// Stages and builders are both named one, two and three, but a stage
	// runs on whichever builder is least busy: the stages handed over are
	// the two built on another builder than all's.
	var elsewhere []string
	for _, name := range []string{"one", "two", "three"} {
		if builders[name] != all.Builder {
			elsewhere = append(elsewhere, name)
		}
	}
	slices.Sort(handedOver)
	slices.Sort(elsewhere)
	if !slices.Equal(handedOver, elsewhere) || len(handedOver) != 2 {
		t.Errorf("all, on %s, imported %v by digest; want the two stages built on other builders, %v (%+v)", all.Builder, handedOver, elsewhere, all.CacheImports)
	}
	var summary bytes.Buffer
	if err := render.Report(&summary, r); err != nil {
		t.Fatal(err)
	}
	if head, _, _ := strings.Cut(summary.String(), "\n"); !strings.HasPrefix(head, "STAGE  BUILDER  STEPS") {
		t.Errorf("summary does not say where each stage ran:\n%s", summary.String())
	}
}

func layers(t *testing.T, ref string) []string {
	t.Helper()
	var out []string
	for _, l := range testenv.Layers(t, ref) {
		d, err := l.DiffID()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d.String())
	}
	return out
}

// statusWatch reads a run's progress.
type statusWatch struct {
	ch   chan *client.SolveStatus
	done chan struct{}
	mu   sync.Mutex
	all  []*client.SolveStatus
	seen map[string]time.Time // vertex name prefix → first seen
}

func watch() *statusWatch {
	w := &statusWatch{ch: make(chan *client.SolveStatus), done: make(chan struct{}), seen: map[string]time.Time{}}
	go func() {
		defer close(w.done)
		for st := range w.ch {
			w.mu.Lock()
			w.all = append(w.all, st)
			for _, v := range st.Vertexes {
				if _, ok := w.seen[v.Name]; !ok {
					w.seen[v.Name] = time.Now()
				}
			}
			w.mu.Unlock()
		}
	}()
	return w
}

func (w *statusWatch) close() { close(w.ch); <-w.done }

// ran counts the completions of vertices named with substr that took at
// least took: each solve that ran the step reports one. (A solve that
// loads the step from an imported cache reports it not cached either, but
// done in milliseconds.)
func (w *statusWatch) ran(substr string, took time.Duration) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, st := range w.all {
		for _, v := range st.Vertexes {
			if v.Completed != nil && v.Started != nil && !v.Cached && v.Error == "" &&
				strings.Contains(v.Name, substr) && v.Completed.Sub(*v.Started) >= took {
				n++
			}
		}
	}
	return n
}

// first is when a vertex whose name starts with prefix was first seen.
func (w *statusWatch) first(prefix string) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var first time.Time
	for name, at := range w.seen {
		if strings.HasPrefix(name, prefix) && (first.IsZero() || at.Before(first)) {
			first = at
		}
	}
	return first, !first.IsZero()
}
