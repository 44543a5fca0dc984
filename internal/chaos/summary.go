package chaos

import (
	"fmt"
	"io"
	"time"
)

// WriteSummary writes `chaos: N runs, M faults, K violations`, the faults
// by kind, and each violation with its run, seed, faults and cairn's output.
func WriteSummary(w io.Writer, res *Result) {
	for _, v := range res.Violations {
		fmt.Fprintf(w, "\nVIOLATION in run %d (seed %d): %s\n  faults: %v\n%s", v.Run, v.Seed, v.What, v.Faults, v.Output)
	}
	fmt.Fprintf(w, "\nchaos: %d runs, %d faults, %d violations\n", res.Runs, res.Faults, len(res.Violations))
	fmt.Fprintf(w, "  %-24s %5s\n", "fault", "runs")
	for _, k := range Kinds {
		fmt.Fprintf(w, "  %-24s %5d\n", k, res.ByKind[k])
	}
	fmt.Fprintf(w, "  runs with a failed or killed publisher: %d; publishers killed: %d; registry requests a fault struck: %d; wall time %s\n",
		res.Failed, res.Killed, res.Injected, res.Wall.Round(time.Second))
}
