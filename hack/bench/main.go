// Command bench compares cairn with its peers on an example, each run on a
// BuildKit daemon with empty state, as a fresh CI runner has: cold (empty
// registry), no change, and a one-file edit; the median of -runs runs of
// each, every tool run side by side in each scenario. On an example with a
// build.yaml it compares `cairn build --push` with the classic per-stage CI
// script (per-stage.sh) and with `docker buildx bake` (a max-mode registry
// cache per stage, buildx.go); with -bake, on a bake project, `cairn bake
// --push` with `docker buildx bake --push` (a max-mode registry cache per
// target, project.go). With -pool N it compares one daemon with N instead
// (pool.go). `make bench` runs it against the dev environment.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/cairn-build/cairn/internal/devenv"
	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/config"
)

type options struct {
	example string // example directory, with a build.yaml (or a bake file, with bake)
	edit    string // file (relative to the example) the edit scenario changes
	binDir  string
	devDir  string
	// bake compares cairn bake with docker buildx bake on a bake project.
	bake bool
	// pool, when set, compares one daemon with that many (see benchPool).
	pool     int
	maxRatio float64
	runs     int
}

func main() {
	var o options
	flag.StringVar(&o.example, "example", "examples/go-service", "example to build")
	flag.StringVar(&o.edit, "edit", "greet.go", "file the one-file edit changes")
	flag.StringVar(&o.binDir, "bin", "bin", "directory of cairn, buildctl, buildx and buildkitd")
	flag.StringVar(&o.devDir, "dev", ".cairn-dev", "dev environment directory")
	flag.BoolVar(&o.bake, "bake", false, "the example is a bake project: cairn bake against docker buildx bake")
	flag.IntVar(&o.pool, "pool", 0, "compare one daemon with this many, all with max-parallelism 1 (e.g. 3 on examples/wide)")
	flag.IntVar(&o.runs, "runs", 3, "runs of each scenario and tool; the table shows the median")
	flag.Float64Var(&o.maxRatio, "max-ratio", 0.45, "with -pool, the most the pool may take of one daemon's time")
	flag.Parse()
	bench := run
	if o.pool > 0 {
		bench = benchPool
	}
	// An interrupted bench still stops the daemon it started and removes
	// its work directory: the canceled context ends the running tool.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := bench(ctx, o); err != nil {
		stop()
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

// bench is where one invocation runs its tools.
type bench struct {
	env  *devenv.Env
	bin  string // absolute -bin
	work string // the runs' copies, daemon roots and bake files
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
	b := bench{env: env, bin: bin, work: work}
	toolsFor := b.perStage
	if o.bake {
		toolsFor = b.project
	}
	tools, about, err := toolsFor(ctx, o.example)
	if err != nil {
		return err
	}
	fmt.Printf("example %s, %s, a fresh buildkitd state for every run, median of %d\n", o.example, about, o.runs)
	times, err := b.measure(ctx, o, tools)
	if err != nil {
		return err
	}
	printTable(tools, times)
	return nil
}

// perStage is cairn build against the per-stage script and bake on an
// example with a build.yaml. cairn reads docker.io through the dev registry,
// as the daemons do (the dev environment is offline).
func (b bench) perStage(ctx context.Context, example string) ([]tool, string, error) {
	stages, err := stageOrder(ctx, example)
	if err != nil {
		return nil, "", err
	}
	script, err := filepath.Abs("hack/bench/per-stage.sh")
	if err != nil {
		return nil, "", err
	}
	return []tool{
		{"script", func(_, repo string) (string, []string, error) {
			return script, append([]string{filepath.Join(b.bin, "buildctl"), repo, "latest"}, stages...), nil
		}},
		{"bake", func(dir, repo string) (string, []string, error) { return bakeArgs(b.work, b.bin, dir, repo, stages) }},
		{"cairn", func(_, repo string) (string, []string, error) {
			return filepath.Join(b.bin, "cairn"), []string{"build", "--repository", repo,
				"--registry-mirror", b.env.Registry, "--push", "--progress", "quiet"}, nil
		}},
	}, fmt.Sprintf("stages %v", stages), nil
}

// measure runs every scenario o.runs times, each tool in turn on its own
// copy of the example, and returns the times by scenario and tool. Each
// run starts the turn at the next tool: a tool is slower right after
// another one's heavy I/O on these machines (a disk's throughput varies
// several times over with what ran just before), and a fixed order would
// put the same tool there every time.
func (b bench) measure(ctx context.Context, o options, tools []tool) (map[string]map[string][]time.Duration, error) {
	stamp := time.Now().Format("20060102-150405")
	times := map[string]map[string][]time.Duration{} // scenario, tool
	for _, sc := range scenarios {
		times[sc] = map[string][]time.Duration{}
	}
	for r := range o.runs {
		dirs := map[string]string{}
		for _, t := range tools {
			dirs[t.name] = filepath.Join(b.work, fmt.Sprintf("%s-%d", t.name, r))
			if err := exec.Command("cp", "-r", o.example, dirs[t.name]).Run(); err != nil {
				return nil, fmt.Errorf("copy %s: %w", o.example, err)
			}
		}
		turn := append(slices.Clone(tools[r%len(tools):]), tools[:r%len(tools)]...)
		for _, sc := range scenarios {
			for _, t := range turn {
				dir := dirs[t.name]
				if sc == "one-file edit" {
					if err := appendLine(filepath.Join(dir, o.edit)); err != nil {
						return nil, err
					}
				}
				repo := fmt.Sprintf("%s/bench/%s-%d-%s", b.env.Registry, stamp, r, t.name)
				path, args, err := t.args(dir, repo)
				if err != nil {
					return nil, err
				}
				root := filepath.Join(b.work, fmt.Sprintf("daemon-%s-%d-%s", t.name, r, strings.ReplaceAll(sc, " ", "-")))
				d, err := b.timed(ctx, root, dir, path, args)
				if err != nil {
					return nil, fmt.Errorf("run %d, %s, %s: %w", r+1, sc, t.name, err)
				}
				// Each run's daemon state goes: a fresh runner has none.
				_ = os.RemoveAll(root)
				times[sc][t.name] = append(times[sc][t.name], d)
				fmt.Printf("  run %d %-14s %-7s %8.2fs\n", r+1, sc, t.name, d.Seconds())
			}
		}
	}
	return times, nil
}

// printTable prints each scenario's medians, then cairn's (the last tool's)
// ratio to each other tool.
func printTable(tools []tool, times map[string]map[string][]time.Duration) {
	last := tools[len(tools)-1].name
	head := []string{fmt.Sprintf("%-14s", "SCENARIO")}
	for _, t := range tools {
		head = append(head, fmt.Sprintf("%9s", strings.ToUpper(t.name)))
	}
	for _, t := range tools[:len(tools)-1] {
		head = append(head, fmt.Sprintf("%13s", strings.ToUpper(last+"/"+t.name)))
	}
	fmt.Println(strings.Join(head, " "))
	for _, sc := range scenarios {
		row := []string{fmt.Sprintf("%-14s", sc)}
		for _, t := range tools {
			row = append(row, fmt.Sprintf("%8.2fs", median(times[sc][t.name]).Seconds()))
		}
		for _, t := range tools[:len(tools)-1] {
			ratio := median(times[sc][last]).Seconds() / median(times[sc][t.name]).Seconds()
			row = append(row, fmt.Sprintf("%13.3f", ratio)) // a skip is 0.00 of a build
		}
		fmt.Println(strings.Join(row, " "))
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// timed runs a tool on a new daemon whose root is empty, and times it.
func (b bench) timed(ctx context.Context, root, dir, path string, args []string) (took time.Duration, err error) {
	d, err := devenv.StartDaemon(ctx, devenv.DaemonOptions{Root: root, BinDir: b.bin, Registry: b.env.Registry})
	if err != nil {
		return 0, err
	}
	defer func() { err = errors.Join(err, d.Stop()) }()
	// The last run's writes go to disk now, not during this one.
	syscall.Sync()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = dir
	// buildctl and cairn read BUILDKIT_HOST; bake's remote driver too
	// (buildx.go), its builder kept in the daemon's root.
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
func stageOrder(ctx context.Context, example string) ([]string, error) {
	p, err := cairn.Load(ctx, cairn.LoadOptions{
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

// appendLine appends a comment to path, in the comment syntax its
// extension has, so the edited file still builds and runs.
func appendLine(path string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	comment := "#"
	if slices.Contains([]string{".go", ".js", ".ts", ".c", ".rs", ".java"}, filepath.Ext(path)) {
		comment = "//"
	}
	_, err = fmt.Fprintf(f, "\n%s edited by the benchmark at %s\n", comment, time.Now().Format(time.RFC3339Nano))
	return err
}
