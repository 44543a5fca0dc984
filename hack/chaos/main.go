// Command chaos runs cairn's randomized fault campaign (make chaos): N
// publishes of a multi-target, multi-repository project, each with faults
// drawn from a seed, every one checked against the release invariants.
// The seed is printed first: `make chaos CHAOS_SEED=…` replays a campaign.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/cairn-build/cairn/internal/chaos"
)

func main() {
	runs := flag.Int("runs", 100, "runs with faults")
	seed := flag.Int64("seed", 0, "the seed faults are drawn from (0: from the time)")
	binDir := flag.String("bin", "bin", "directory holding buildkitd and registry (make tools)")
	keep := flag.Bool("keep", false, "keep the campaign's directory (daemon state, logs) even when it passes")
	keepDaemon := flag.Bool("keep-daemon", false, "do not restart buildkitd after cairn was killed (shows BuildKit's stuck solver, see internal/chaos)")
	flag.Parse()
	if *seed == 0 {
		*seed = time.Now().UnixNano()
	}
	fmt.Printf("chaos: seed %d (replay: make chaos CHAOS_SEED=%d CHAOS_RUNS=%d)\n", *seed, *seed, *runs)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, chaos.Options{Runs: *runs, Seed: *seed, KeepDaemon: *keepDaemon, Log: os.Stdout}, *binDir, *keep)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
	}
	os.Exit(code)
}

func run(ctx context.Context, o chaos.Options, binDir string, keep bool) (int, error) {
	bin, err := filepath.Abs(binDir)
	if err != nil {
		return 2, err
	}
	dir, err := os.MkdirTemp("", "cairn-chaos-")
	if err != nil {
		return 2, err
	}
	cairn := filepath.Join(dir, "cairn")
	if out, err := exec.Command("go", "build", "-o", cairn, "./cmd/cairn").CombinedOutput(); err != nil {
		return 2, fmt.Errorf("go build ./cmd/cairn: %w\n%s", err, out)
	}
	o.Dir, o.BinDir, o.Cairn = filepath.Join(dir, "state"), bin, cairn
	res, err := chaos.Run(ctx, o)
	if res != nil {
		chaos.WriteSummary(os.Stdout, res)
	}
	switch {
	case err != nil:
		fmt.Printf("chaos: state kept in %s\n", dir)
		return 2, err
	case len(res.Violations) > 0:
		fmt.Printf("chaos: state kept in %s\n", dir)
		return 1, nil
	case keep:
		fmt.Printf("chaos: state kept in %s\n", dir)
		return 0, nil
	}
	return 0, os.RemoveAll(dir)
}
