// Command bench compares `cairn build --push` with the classic per-stage CI
// script (per-stage.sh) and with `docker buildx bake` (a max-mode registry
// cache per stage, buildx.go) on an example, each run on a BuildKit daemon
// with empty state, as a fresh CI runner has: cold (empty registry), no
// change, and a one-file edit; the median of -runs runs of each. With -pool N it compares one daemon with N instead
// (pool.go). `make bench` runs it against the dev environment.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cairn-build/cairn/internal/devenv"
	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/config"
)

type options struct {
	example string // example directory, with a build.yaml
	edit    string // file (relative to the example) the edit scenario changes
	binDir  string
	devDir  string
	// pool, when set, compares one daemon with that many (see benchPool).
	pool     int
	maxRatio float64
	runs     int
}

func main() {
	var o options
	flag.StringVar(&o.example, "example", "examples/go-service", "example to build")
	flag.StringVar(&o.edit, "edit", "greet.go", "file the one-file edit changes")
	flag.StringVar(&o.binDir, "bin", "bin", "directory of cairn, buildctl and buildkitd")
	flag.StringVar(&o.devDir, "dev", ".cairn-dev", "dev environment directory")
	flag.IntVar(&o.pool, "pool", 0, "compare one daemon with this many, all with max-parallelism 1 (e.g. 3 on examples/wide)")
	flag.IntVar(&o.runs, "runs", 3, "runs of each scenario and tool; the table shows the median")
	flag.Float64Var(&o.maxRatio, "max-ratio", 0.45, "with -pool, the most the pool may take of one daemon's time")
	flag.Parse()
	bench := run
	if o.pool > 0 {
		bench = benchPool
	}
	if err := bench(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// tool is one way of building the example: the script, bake or cairn.
type tool struct {
	name string
	// args make its command for one run: the run's copy of the example
	// (edits apply to every tool alike) and its own repository, so caches
	// do not mix.
	args func(dir, repo string) (string, []string, error)
}

// scenarios in the order a runner meets them: the edit comes after a
// no-change build of the same repository.
var scenarios = []string{"cold", "no-change", "one-file edit"}

func run(ctx context.Context, o options) error {
	env, err := devenv.Load(o.devDir)
	if err != nil {
		return fmt.Errorf("no dev environment under %s: run `make dev-up`", o.devDir)
	}
	bin, err := filepath.Abs(o.binDir)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp(env.Dir, "bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	stages, err := stageOrder(o.example)
	if err != nil {
		return err
	}
	script, err := filepath.Abs("hack/bench/per-stage.sh")
	if err != nil {
		return err
	}
	tools := []tool{
		{"script", func(_, repo string) (string, []string, error) {
			return script, append([]string{filepath.Join(bin, "buildctl"), repo, "latest"}, stages...), nil
		}},
		{"bake", func(dir, repo string) (string, []string, error) { return bakeArgs(work, bin, dir, repo, stages) }},
		{"cairn", func(_, repo string) (string, []string, error) {
			return filepath.Join(bin, "cairn"), []string{"build", "--repository", repo, "--push", "--progress", "quiet"}, nil
		}},
	}
	fmt.Printf("example %s, stages %v, a fresh buildkitd state for every run, median of %d\n", o.example, stages, o.runs)
	stamp := time.Now().Format("20060102-150405")
	times := map[string]map[string][]time.Duration{} // scenario, tool
	for _, sc := range scenarios {
		times[sc] = map[string][]time.Duration{}
	}
	for r := range o.runs {
		for _, t := range tools {
			dir := filepath.Join(work, fmt.Sprintf("%s-%d", t.name, r))
			if err := exec.Command("cp", "-r", o.example, dir).Run(); err != nil {
				return fmt.Errorf("copy %s: %w", o.example, err)
			}
			repo := fmt.Sprintf("%s/bench/%s-%d-%s", env.Registry, stamp, r, t.name)
			for _, sc := range scenarios {
				if sc == "one-file edit" {
					if err := appendLine(filepath.Join(dir, o.edit)); err != nil {
						return err
					}
				}
				path, args, err := t.args(dir, repo)
				if err != nil {
					return err
				}
				root := filepath.Join(work, fmt.Sprintf("daemon-%s-%d-%s", t.name, r, strings.ReplaceAll(sc, " ", "-")))
				d, err := timed(ctx, env, bin, root, dir, path, args)
				if err != nil {
					return fmt.Errorf("run %d, %s, %s: %w", r+1, sc, t.name, err)
				}
				// Each run's daemon state goes: a fresh runner has none.
				_ = os.RemoveAll(root)
				times[sc][t.name] = append(times[sc][t.name], d)
				fmt.Printf("  run %d %-14s %-7s %7.1fs\n", r+1, sc, t.name, d.Seconds())
			}
		}
	}
	const row = "%-14s %9s %9s %9s %13s %11s\n"
	fmt.Printf(row, "SCENARIO", "SCRIPT", "BAKE", "CAIRN", "CAIRN/SCRIPT", "CAIRN/BAKE")
	for _, sc := range scenarios {
		script, bake, cairn := median(times[sc]["script"]), median(times[sc]["bake"]), median(times[sc]["cairn"])
		fmt.Printf(row, sc, secs(script), secs(bake), secs(cairn),
			fmt.Sprintf("%.2f", cairn.Seconds()/script.Seconds()), fmt.Sprintf("%.2f", cairn.Seconds()/bake.Seconds()))
	}
	return nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

// timed runs a tool on a new daemon whose root is empty, and times it.
func timed(ctx context.Context, env *devenv.Env, bin, root, dir, path string, args []string) (time.Duration, error) {
	d, err := devenv.StartDaemon(ctx, devenv.DaemonOptions{Root: root, BinDir: bin, Registry: env.Registry})
	if err != nil {
		return 0, err
	}
	defer d.Stop()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = dir
	// buildctl and cairn read BUILDKIT_HOST; bake's remote driver too (bake.go).
	cmd.Env = append(os.Environ(), "BUILDKIT_HOST="+d.Addr, "BUILDX_CONFIG="+filepath.Join(root, "buildx"))
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("%w\n%s", err, out)
	}
	return time.Since(start), nil
}

// stageOrder is the example's planned stages, dependencies first: the order
// a script author writes the per-stage builds in.
func stageOrder(example string) ([]string, error) {
	p, err := cairn.Load(context.Background(), cairn.LoadOptions{
		Config:    filepath.Join(example, config.DefaultFile),
		Overrides: config.Overrides{Repository: "bench.invalid/x"},
	})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, s := range p.Plan.Stages {
		names = append(names, s.Name)
	}
	return names, nil
}

func appendLine(path string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintf(f, "\n// edited by the benchmark at %s\n", time.Now().Format(time.RFC3339Nano))
	return err
}
