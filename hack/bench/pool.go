package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/cairn-build/cairn/internal/devenv"
)

// benchPool times `cairn build --push` of the example on one daemon, then
// on o.pool daemons, every daemon fresh and running one step at a time
// (max-parallelism = 1), each build cold in its own repository. It fails
// when the pool takes more than o.maxRatio of one daemon's time.
func benchPool(ctx context.Context, o options) error {
	env, err := devenv.Load(o.devDir)
	if err != nil {
		return fmt.Errorf("no dev environment under %s: run `make dev-up`", o.devDir)
	}
	bin, err := filepath.Abs(o.binDir)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp(env.Dir, "bench-pool-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	run := time.Now().Format("20060102-150405")
	fmt.Printf("example %s, fresh daemons with max-parallelism 1, cold registry\n", o.example)
	const row = "%-10s %9s %10s\n"
	fmt.Printf(row, "DAEMONS", "TIME", "OF ONE'S")
	var one time.Duration
	for _, n := range []int{1, o.pool} {
		d, err := timePool(ctx, env, bin, filepath.Join(work, fmt.Sprint(n)), o.example,
			fmt.Sprintf("%s/bench/%s-pool-%d", env.Registry, run, n), n)
		if err != nil {
			return fmt.Errorf("%d daemons: %w", n, err)
		}
		if n == 1 {
			one = d
		}
		fmt.Printf(row, fmt.Sprint(n), fmt.Sprintf("%.1fs", d.Seconds()), fmt.Sprintf("%.2f", d.Seconds()/one.Seconds()))
		if ratio := d.Seconds() / one.Seconds(); n > 1 && ratio > o.maxRatio {
			return fmt.Errorf("%d daemons took %.2f of one daemon's time, want at most %.2f", n, ratio, o.maxRatio)
		}
	}
	return nil
}

// timePool starts n fresh daemons and times one build of the example over them.
func timePool(ctx context.Context, env *devenv.Env, bin, dir, example, repo string, n int) (took time.Duration, err error) {
	args := []string{"build", "--repository", repo, "--push", "--progress", "quiet"}
	for i := range n {
		d, err := devenv.StartDaemon(ctx, devenv.DaemonOptions{
			Root: filepath.Join(dir, fmt.Sprintf("daemon-%d", i)), BinDir: bin, Registry: env.Registry, MaxParallelism: 1,
		})
		if err != nil {
			return 0, err
		}
		defer func() { err = errors.Join(err, d.Stop()) }()
		args = append(args, "--addr", d.Addr)
	}
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "cairn"), args...)
	cmd.Dir = example
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("%w\n%s", err, out)
	}
	return time.Since(start), nil
}
