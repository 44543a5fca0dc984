package check

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// reportTop is how many inefficiencies the report lists.
const reportTop = 10

// WriteReport writes a readable report of a target's checks: one line per
// result (PASS/FAIL, kind, name, message) and, when eff is not nil, dive's
// three figures and its table of the largest inefficiencies.
func WriteReport(w io.Writer, target string, results []Result, eff *Efficiency) error {
	failed := 0
	for _, r := range results {
		if !r.Passed {
			failed++
		}
	}
	if _, err := fmt.Fprintf(w, "checks of %s: %d passed, %d failed\n", target, len(results)-failed, failed); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range results {
		status := "PASS"
		if !r.Passed {
			status = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", status, r.Kind, oneLine(r.Name), oneLine(r.Message))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if eff == nil {
		return nil
	}
	if err := writeEfficiency(w, eff); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// writeEfficiency prints the figures as `dive --ci` does and the table as
// dive's image details pane does.
func writeEfficiency(w io.Writer, eff *Efficiency) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\nefficiency: %.4f %%\n", eff.Score*100)
	fmt.Fprintf(&b, "wastedBytes: %d bytes (%s)\n", eff.WastedBytes, humanBytes(eff.WastedBytes))
	fmt.Fprintf(&b, "userWastedPercent: %.4f %%\n", eff.UserWastedPercent*100)
	fmt.Fprintf(&b, "image size: %s, user layers: %s\n", humanBytes(eff.SizeBytes), humanBytes(eff.UserSizeBytes))
	if len(eff.Inefficiencies) > 0 {
		const row = "%5s  %12s  %s\n"
		fmt.Fprintf(&b, row, "Count", "Total Space", "Path")
		for i, in := range eff.Inefficiencies {
			if i == reportTop {
				fmt.Fprintf(&b, "… and %d more\n", len(eff.Inefficiencies)-reportTop)
				break
			}
			fmt.Fprintf(&b, row, fmt.Sprint(in.Count), humanBytes(in.CumulativeSize), in.Path)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// oneLine keeps a report row on one line whatever a message holds.
func oneLine(s string) string {
	return strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", " ").Replace(s)
}
