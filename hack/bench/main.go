// Command bench compares `cairn build --push` with the classic per-stage CI
// script (per-stage.sh) on an example, each run on a BuildKit daemon with
// empty state, as a fresh CI runner has: cold (empty registry), no change,
// and a one-file edit. With -pool N it compares one daemon with N instead
// (pool.go). `make bench` runs it against the dev environment.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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
}

func main() {
	var o options
	flag.StringVar(&o.example, "example", "examples/go-service", "example to build")
	flag.StringVar(&o.edit, "edit", "greet.go", "file the one-file edit changes")
	flag.StringVar(&o.binDir, "bin", "bin", "directory of cairn, buildctl and buildkitd")
	flag.StringVar(&o.devDir, "dev", ".cairn-dev", "dev environment directory")
	flag.IntVar(&o.pool, "pool", 0, "compare one daemon with this many, all with max-parallelism 1 (e.g. 3 on examples/wide)")
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

// tool is one way of building the example: cairn or the script.
type tool struct {
	name string
	dir  string    // its own copy of the example, so edits apply to both
	repo string    // its own repository, so caches do not mix
	cmd  *exec.Cmd // a template: each run copies it
}

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
	run := time.Now().Format("20060102-150405")
	tools := []*tool{
		{name: "script", repo: env.Registry + "/bench/" + run + "-script"},
		{name: "cairn", repo: env.Registry + "/bench/" + run + "-cairn"},
	}
	for _, t := range tools {
		t.dir = filepath.Join(work, t.name)
		if err := exec.Command("cp", "-r", o.example, t.dir).Run(); err != nil {
			return fmt.Errorf("copy %s: %w", o.example, err)
		}
	}
	script, err := filepath.Abs("hack/bench/per-stage.sh")
	if err != nil {
		return err
	}
	tools[0].cmd = exec.Command(script, append([]string{filepath.Join(bin, "buildctl"), tools[0].repo, "latest"}, stages...)...)
	tools[1].cmd = exec.Command(filepath.Join(bin, "cairn"), "build", "--repository", tools[1].repo, "--push", "--progress", "quiet")

	fmt.Printf("example %s, stages %v, a fresh buildkitd state for every run\n", o.example, stages)
	const row = "%-14s %9s %9s %13s\n"
	fmt.Printf(row, "SCENARIO", "SCRIPT", "CAIRN", "CAIRN/SCRIPT")
	scenarios := []struct {
		name   string
		before func(t *tool) error
	}{
		{"cold", nil},
		{"no-change", nil},
		{"one-file edit", func(t *tool) error { return appendLine(filepath.Join(t.dir, o.edit)) }},
	}
	for _, sc := range scenarios {
		var times [2]time.Duration
		for i, t := range tools {
			if sc.before != nil {
				if err := sc.before(t); err != nil {
					return err
				}
			}
			d, err := timed(ctx, env, bin, filepath.Join(work, t.name+"-"+sc.name), t)
			if err != nil {
				return fmt.Errorf("%s, %s: %w", sc.name, t.name, err)
			}
			times[i] = d
		}
		fmt.Printf(row, sc.name, fmt.Sprintf("%.1fs", times[0].Seconds()), fmt.Sprintf("%.1fs", times[1].Seconds()),
			fmt.Sprintf("%.2f", times[1].Seconds()/times[0].Seconds()))
	}
	return nil
}

// timed runs a tool on a new daemon whose root is empty, and times it.
func timed(ctx context.Context, env *devenv.Env, bin, root string, t *tool) (time.Duration, error) {
	d, err := devenv.StartDaemon(ctx, devenv.DaemonOptions{Root: root, BinDir: bin, Registry: env.Registry})
	if err != nil {
		return 0, err
	}
	defer d.Stop()
	cmd := exec.CommandContext(ctx, t.cmd.Path, t.cmd.Args[1:]...)
	cmd.Dir = t.dir
	cmd.Env = append(os.Environ(), "BUILDKIT_HOST="+d.Addr) // both tools read it
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
