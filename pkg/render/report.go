// Package render writes what cairn's commands answer, the one place every
// command's output comes from: a build's summary tables and check
// results, its GitHub Actions job summary and outputs, the dry run's
// moves, recoveries, outdated bases and prune reports, BuildKit's progress
// display (fed by the solves and cairn's own steps alike) and notes.
package render

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cairn-build/cairn/internal/human"
	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/check"
)

// Report prints the summary (one line per stage, then one per tag the commit
// touched) and every target's lint findings and check results.
func Report(w io.Writer, r *cairn.Report) error {
	if len(r.Stages) > 0 {
		writeStages(w, r)
	}
	if skipped(r) {
		writeSkipped(w, r)
	}
	if len(r.Mounts) > 0 {
		fmt.Fprintln(w)
		writeMounts(w, r)
	}
	if len(r.Tags) > 0 {
		fmt.Fprintln(w)
		writeTags(w, r)
	}
	return writeChecks(w, r)
}

func writeStages(w io.Writer, r *cairn.Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	// A pool's builds say where each stage ran; one daemon's look as before.
	platform := slices.ContainsFunc(r.Stages, func(s cairn.StageReport) bool { return s.Platform != "" })
	builder := slices.ContainsFunc(r.Stages, func(s cairn.StageReport) bool { return s.Builder != "" })
	fmt.Fprintln(tw, "STAGE\t"+column(platform, "PLATFORM\t")+column(builder, "BUILDER\t")+"STEPS\tCACHED\tTIME\tDIGEST\tTAGS\tSTATUS")
	for _, s := range r.Stages {
		var pushed []string
		if s.CacheExport != "" {
			pushed = append(pushed, s.CacheExport)
		}
		pushed = append(pushed, s.Tags...)
		took := time.Duration(s.Duration * float64(time.Second)).Round(time.Millisecond)
		where := column(platform, orDash(s.Platform)+"\t") + column(builder, orDash(s.Builder)+"\t")
		fmt.Fprintf(tw, "%s\t%s%d\t%d\t%s\t%s\t%s\t%s\n", s.Name, where, s.Steps, s.Cached, took, shortDigest(s.Digest), orDash(strings.Join(pushed, ",")), s.Status)
	}
	tw.Flush()
}

// skipped reports whether the run built nothing: its targets' inputs are
// those of their published release.
func skipped(r *cairn.Report) bool {
	return len(r.Stages) == 0 && slices.ContainsFunc(r.Targets, func(t cairn.TargetReport) bool { return t.Skipped != "" })
}

func writeSkipped(w io.Writer, r *cairn.Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tINPUTS\tDIGEST\tTAGS\tSTATUS")
	for _, t := range r.Targets {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\tskipped: %s\n", t.Name, shortDigest(t.Inputs), shortDigest(t.Digest), orDash(strings.Join(t.Tags, ",")), t.Skipped)
	}
	tw.Flush()
}

func column(shown bool, cell string) string {
	if !shown {
		return ""
	}
	return cell
}

func writeTags(w io.Writer, r *cairn.Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TAG\tKIND\tFROM\tTO\tSTATE")
	for _, t := range r.Tags {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Tag, t.Kind, shortDigest(t.Previous), shortDigest(t.Digest), t.State)
	}
	tw.Flush()
}

// writeChecks prints each target's lint findings, then its check results.
func writeChecks(w io.Writer, r *cairn.Report) error {
	for _, c := range r.Checks {
		for _, f := range c.Lint {
			fmt.Fprintf(w, "%s:%d: %s %s: %s\n", r.Dockerfile, f.Line, f.Severity, f.Rule, f.Message)
		}
		if len(c.Results) > 0 || c.Efficiency != nil {
			if err := check.WriteReport(w, c.Target, c.Results, c.Efficiency); err != nil {
				return err
			}
		}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func shortDigest(d string) string { return orDash(human.Digest(d)) }

func writeMounts(w io.Writer, r *cairn.Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CACHE MOUNT\tRESTORE\tFROM\tRESTORE TIME\tSAVE\tTO\tSIZE\tSAVE TIME\tNOTE")
	for _, m := range r.Mounts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.Target, m.Restore, shortDigest(m.SourceDigest), rate(m.RestoredBytes, m.RestoreDuration),
			orDash(string(m.Save)), shortDigest(m.SavedDigest), snapshotSize(m), rate(m.SavedBytes, m.SaveDuration), orDash(m.Note))
	}
	tw.Flush()
}

// rate is a time, and the bytes moved per second in it when known: the
// bytes of the directory's files, as a user sizes a cache (a delta's save
// counts the whole directory it compared), not of the compressed layers.
func rate(n int64, s float64) string {
	if n == 0 || s == 0 {
		return seconds(s)
	}
	return fmt.Sprintf("%s (%s/s)", seconds(s), human.Bytes(int64(float64(n)/s)))
}

// snapshotSize is a snapshot's size, and what the save added to the
// restored snapshot's layers when it was a delta.
func snapshotSize(m cairn.MountReport) string {
	if m.Layers > 1 && m.Added > 0 {
		return fmt.Sprintf("%s (+%s)", size(m.Size), human.Bytes(m.Added))
	}
	return size(m.Size)
}

func seconds(s float64) string {
	if s == 0 {
		return "-"
	}
	return time.Duration(s * float64(time.Second)).Round(time.Millisecond).String()
}

// size is a snapshot's size; "-" for none.
func size(n int64) string {
	if n == 0 {
		return "-"
	}
	return human.Bytes(n)
}

// Output says where Outputs puts a report.
type Output struct {
	Stdout, Stderr io.Writer
	// MetadataFile receives the report as JSON; "" writes none.
	MetadataFile string
	// Env tells whether the run is a GitHub Actions job (see GitHub);
	// nil means os.LookupEnv.
	Env func(string) (string, bool)
}

// Outputs does what cairn build does with a report: the warnings again
// after the progress display (as buildx does, also when it is quiet), the
// summary and check results (on Stderr when the lint stopped the run: they
// explain the error), the metadata file, and GitHub's job summary and outputs.
func Outputs(r *cairn.Report, o Output) error {
	if o.Env == nil {
		o.Env = os.LookupEnv
	}
	err := Warnings(o.Stderr, r)
	out, built := o.Stdout, len(r.Stages) > 0 || skipped(r)
	if !built {
		out = o.Stderr
	}
	err = errors.Join(err, Report(out, r))
	if o.MetadataFile != "" && built {
		err = errors.Join(err, writeJSON(o.MetadataFile, r))
	}
	return errors.Join(err, GitHub(r, o.Env, o.MetadataFile))
}
