package build_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"

	"github.com/cairn-build/cairn/internal/devenv"
	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/cache"
	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/planner"
	"github.com/cairn-build/cairn/pkg/push"
	"github.com/cairn-build/cairn/pkg/registry"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// project copies an example into a temp dir, so a test can edit it.
func project(t *testing.T, example string) string {
	t.Helper()
	dst := t.TempDir()
	src := filepath.Join("..", "..", "examples", example)
	err := filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// buildOn builds dir's build.yaml with its repository under the test
// registry on the daemon at addr, and publishes it as `cairn build --push` does.
func buildOn(t *testing.T, addr, dir, repo string, mode ...string) *build.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	o := config.Overrides{Repository: repo}
	if len(mode) > 0 {
		o.CacheMode = mode[0]
	}
	cfg, plan := planFor(t, dir, o)
	c, err := client.New(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := build.Run(ctx, c, plan, build.Options{
		Context: cfg.Context, Dockerfile: cfg.Dockerfile, Args: cfg.Args,
		CacheMode: cfg.CacheMode, Push: true,
	})
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	if _, err := push.Commit(ctx, access(t), movesOf(res)); err != nil {
		t.Fatalf("commit: %v", err)
	}
	return res
}

// planFor reads dir's build.yaml with the overrides applied and plans it.
func planFor(t *testing.T, dir string, o config.Overrides) (*config.Build, *planner.Plan) {
	t.Helper()
	file, err := config.Load(filepath.Join(dir, config.DefaultFile))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := file.Resolve(o, os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	df, err := os.ReadFile(cfg.Dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := planner.New(df, cfg.PlanOptions())
	if err != nil {
		t.Fatal(err)
	}
	return cfg, plan
}

// access is the default registry access, as the CLI makes it.
// sharedDaemon is a client of the environment's daemon, closed when t ends.
func sharedDaemon(t *testing.T, env *devenv.Env) *client.Client {
	t.Helper()
	c, err := client.New(t.Context(), env.BuildkitHost)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func access(t *testing.T) *registry.Access {
	t.Helper()
	return testenv.Access(t)
}

// movesOf are the tags a commit moves for this build: every stage's cache ref
// and every target's tags, each to the manifest its stage staged, and the
// snapshot ref of every cache mount SaveMounts saved.
func movesOf(r *build.Result) []push.Move {
	var moves []push.Move
	for _, m := range r.Mounts {
		if m.Save == build.Saved {
			moves = append(moves, push.Move{Tag: m.Snapshot, Digest: m.SavedDigest, Kind: push.KindCache})
		}
	}
	for _, s := range r.Stages {
		if s.CacheExport != "" && s.CacheDigest != "" {
			moves = append(moves, push.Move{Tag: s.CacheExport, Digest: s.CacheDigest, Kind: push.KindCache})
		}
		for _, tag := range s.Tags {
			moves = append(moves, push.Move{Tag: tag, Digest: s.Digest, Kind: push.KindFinal})
		}
	}
	return moves
}

func stages(res *build.Result) map[string]build.StageResult {
	m := map[string]build.StageResult{}
	for _, s := range res.Stages {
		m[s.Name] = s
	}
	return m
}

// TestFreshRunnerTakesEverythingFromCache: after one build exported its
// caches, a daemon with empty state rebuilds nothing and yields the same
// images, in both cache modes.
func TestFreshRunnerTakesEverythingFromCache(t *testing.T) {
	for _, mode := range []string{cache.ModeInline, cache.ModeMax} {
		t.Run(mode, func(t *testing.T) {
			repo, dir := testenv.Repo(t), project(t, "node-style")
			first := stages(buildOn(t, testenv.NewDaemon(t).Addr, dir, repo, mode))
			second := stages(buildOn(t, testenv.NewDaemon(t).Addr, dir, repo, mode))
			for name, s := range second {
				if s.Steps == 0 {
					t.Errorf("stage %s: no steps seen in the solve status", name)
				}
				if s.Cached != s.Steps {
					t.Errorf("stage %s on a fresh daemon: %d of %d steps cached, want all", name, s.Cached, s.Steps)
				}
				if s.Digest != first[name].Digest {
					t.Errorf("stage %s: digest %s, first build %s", name, s.Digest, first[name].Digest)
				}
				for _, imp := range s.CacheImports {
					if imp.State != cache.Found {
						t.Errorf("stage %s: cache %s %s on the second build", name, imp.Ref, imp.State)
					}
				}
			}
		})
	}
}

// TestEditRebuildsOnlyDownstream: an edit under src/ (read by builder) on a
// fresh daemon takes deps from the cache and rebuilds builder and runtime.
func TestEditRebuildsOnlyDownstream(t *testing.T) {
	repo, dir := testenv.Repo(t), project(t, "node-style")
	first := stages(buildOn(t, testenv.NewDaemon(t).Addr, dir, repo))
	if err := os.WriteFile(filepath.Join(dir, "src", "routes.js"), []byte("module.exports = { '/': () => 'changed' };\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	second := stages(buildOn(t, testenv.NewDaemon(t).Addr, dir, repo))

	if d := second["deps"]; d.Cached != d.Steps || d.Digest != first["deps"].Digest {
		t.Errorf("deps: %d of %d steps cached, digest changed %v; want all cached, same digest", d.Cached, d.Steps, d.Digest != first["deps"].Digest)
	}
	for _, name := range []string{"builder", "runtime"} {
		s := second[name]
		if s.Cached == s.Steps {
			t.Errorf("%s: all %d steps cached after an edit it depends on", name, s.Steps)
		}
		if s.Digest == first[name].Digest {
			t.Errorf("%s: digest unchanged after an edit it depends on", name)
		}
	}
}

// TestNothingWrittenWithoutPush: a build without push leaves the registry alone.
func TestNothingWrittenWithoutPush(t *testing.T) {
	env := testenv.Get(t)
	repo, dir := testenv.Repo(t), project(t, "node-style")
	ctx := t.Context()
	cfg, plan := planFor(t, dir, config.Overrides{Repository: repo})
	c := sharedDaemon(t, env)
	res, err := build.Run(ctx, c, plan, build.Options{Context: cfg.Context, Dockerfile: cfg.Dockerfile, CacheMode: cfg.CacheMode})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Stages {
		if len(s.Tags) != 0 || s.CacheExport != "" || s.Digest == "" {
			t.Errorf("stage %s: tags %v, cache export %q, digest %q; want none, none, a digest", s.Name, s.Tags, s.CacheExport, s.Digest)
		}
	}
	states, err := cache.Probe(ctx, access(t), []string{repo + ":latest", repo + ":cache-deps"})
	if err != nil {
		t.Fatal(err)
	}
	for ref, state := range states {
		if state != cache.Missing {
			t.Errorf("%s is %s after a build without push", ref, state)
		}
	}
}

// TestEveryFailedStageIsReported: two independent stages fail; both are
// reported, and the stage that needs them is not built.
func TestEveryFailedStageIsReported(t *testing.T) {
	env := testenv.Get(t)
	dir := t.TempDir()
	df := []byte("FROM busybox:1.36 AS a\nRUN echo a-broken && exit 3\n\nFROM busybox:1.36 AS b\nRUN exit 4\n\nFROM busybox:1.36 AS ok\nRUN true\n\nFROM busybox:1.36 AS final\nCOPY --from=a / /a\nCOPY --from=b / /b\n")
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), df, 0o644); err != nil {
		t.Fatal(err)
	}
	plan, err := planner.New(df, planner.Options{Targets: []planner.Target{{Name: "final"}, {Name: "ok"}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	c := sharedDaemon(t, env)
	res, err := build.Run(ctx, c, plan, build.Options{Context: dir, Dockerfile: filepath.Join(dir, "Dockerfile"), CacheMode: cache.ModeOff})
	if err == nil {
		t.Fatal("no error from a build with failing stages")
	}
	for _, want := range []string{"2 of the stages failed", "stage a:", "exit code: 3", ">>> RUN echo a-broken && exit 3", "stage b:", "exit code: 4", ">>> RUN exit 4"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
	got := stages(res)
	if got["ok"].Error != "" || got["ok"].Digest == "" {
		t.Errorf("stage ok: error %q, digest %q; want built", got["ok"].Error, got["ok"].Digest)
	}
	if e := got["final"].Error; !strings.HasPrefix(e, "not built: stage ") {
		t.Errorf("stage final: error %q, want not built", e)
	}
	if !errors.Is(err, build.ErrDependencyFailed) || !errors.Is(got["final"].Err, build.ErrDependencyFailed) {
		t.Errorf("neither Run's error nor final's matches ErrDependencyFailed: %v", err)
	}
	var se *build.StageError
	if !errors.As(got["a"].Err, &se) || se.Stage != "a" || !strings.Contains(se.Source, ">>> RUN echo a-broken && exit 3") {
		t.Errorf("stage a: Err %#v, want a *StageError with its Dockerfile excerpt", got["a"].Err)
	}
}

// TestPushStagesWithoutTagging: a pushing build uploads by digest only; until
// push.Commit, no tag exists, in either cache mode.
func TestPushStagesWithoutTagging(t *testing.T) {
	for _, mode := range []string{cache.ModeInline, cache.ModeMax} {
		t.Run(mode, func(t *testing.T) {
			env := testenv.Get(t)
			repo, dir := testenv.Repo(t), project(t, "node-style")
			ctx := t.Context()
			cfg, plan := planFor(t, dir, config.Overrides{Repository: repo, CacheMode: mode})
			c := sharedDaemon(t, env)
			res, err := build.Run(ctx, c, plan, build.Options{Context: cfg.Context, Dockerfile: cfg.Dockerfile, CacheMode: mode, Push: true})
			if err != nil {
				t.Fatal(err)
			}
			if tags := testenv.Tags(t, repo); len(tags) != 0 {
				t.Errorf("tags before the commit: %v", tags)
			}
			if moves := movesOf(res); len(moves) != 4 { // three cache refs and latest
				t.Errorf("moves %+v, want 4", moves)
			}
		})
	}
}

// TestSingleStageCountsSteps: BuildKit names the steps of a Dockerfile's
// only stage "[2/3] …", without its name, even when it has one; padded
// indexes ("[app  2/11]") count too.
func TestSingleStageCountsSteps(t *testing.T) {
	env := testenv.Get(t)
	ctx := t.Context()
	c := sharedDaemon(t, env)
	many := "FROM busybox:1.36 AS app\n" + strings.Repeat("RUN true\n", 11) + "FROM app AS final\nRUN true\n"
	tests := []struct {
		name       string
		dockerfile string
		stage      string
		steps      int
	}{
		{"unnamed", "FROM busybox:1.36\nRUN echo one\nRUN echo two\n", "0", 2},
		{"named", "FROM busybox:1.36 AS app\nRUN echo one\nRUN echo two\n", "app", 2},
		{"eleven steps", many, "app", 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(tt.dockerfile), 0o644); err != nil {
				t.Fatal(err)
			}
			plan, err := planner.New([]byte(tt.dockerfile), planner.Options{Targets: []planner.Target{{Name: tt.stage}}})
			if err != nil {
				t.Fatal(err)
			}
			res, err := build.Run(ctx, c, plan, build.Options{Context: dir, Dockerfile: filepath.Join(dir, "Dockerfile"), CacheMode: cache.ModeOff})
			if err != nil {
				t.Fatal(err)
			}
			if s := stages(res)[tt.stage]; s.Steps != tt.steps {
				t.Errorf("stage %s: %d steps, want %d", tt.stage, s.Steps, tt.steps)
			}
		})
	}
}
