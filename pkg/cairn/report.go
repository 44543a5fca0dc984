package cairn

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/check"
	"github.com/cairn-build/cairn/pkg/push"
)

// ReportVersion is the version of the Report schema; it changes only when
// a field changes meaning or goes away.
const ReportVersion = 1

// Report is what a run did, and the metadata file's content
// (`cairn build --metadata-file`).
type Report struct {
	Version    int                 `json:"version"`
	Dockerfile string              `json:"dockerfile"`
	Stages     []build.StageResult `json:"stages"` // in plan order
	Targets    []TargetReport      `json:"targets"`
	Checks     []*CheckReport      `json:"checks,omitempty"`
	Tags       []push.TagResult    `json:"tags,omitempty"` // in commit order
}

// TargetReport is a target's image: its stage's digest, and its tags.
type TargetReport struct {
	Name   string   `json:"name"`
	Digest string   `json:"digest,omitempty"`
	Tags   []string `json:"tags"`
}

func targetReports(p *Project, res *build.Result) []TargetReport {
	digests := map[string]string{}
	for _, s := range res.Stages {
		digests[s.Name] = s.Digest
	}
	reports := make([]TargetReport, len(p.Plan.Targets))
	for i, t := range p.Plan.Targets {
		reports[i] = TargetReport{Name: t.Name, Digest: digests[t.Name], Tags: t.Tags}
	}
	return reports
}

// WriteFile writes the report as indented JSON.
func (r *Report) WriteFile(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write metadata file: %w", err)
	}
	return nil
}

// Show prints the summary (one line per stage, then one per tag the commit
// touched) and every target's lint findings and check results.
func (r *Report) Show(w io.Writer) error {
	if len(r.Stages) > 0 {
		r.writeStages(w)
	}
	if len(r.Tags) > 0 {
		fmt.Fprintln(w)
		r.writeTags(w)
	}
	return r.writeChecks(w)
}

func (r *Report) writeStages(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tSTEPS\tCACHED\tTIME\tDIGEST\tTAGS\tSTATUS")
	for _, s := range r.Stages {
		state := "ok"
		if s.Error != "" {
			state = "failed"
		}
		var pushed []string
		if s.CacheExport != "" {
			pushed = append(pushed, s.CacheExport)
		}
		pushed = append(pushed, s.Tags...)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\n", s.Name, s.Steps, s.Cached, s.Duration, shortDigest(s.Digest), orDash(strings.Join(pushed, ",")), state)
	}
	tw.Flush()
}

func (r *Report) writeTags(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TAG\tKIND\tFROM\tTO\tSTATE")
	for _, t := range r.Tags {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Tag, t.Kind, shortDigest(t.Previous), shortDigest(t.Digest), t.State)
	}
	tw.Flush()
}

// writeChecks prints each target's lint findings, then its check results.
func (r *Report) writeChecks(w io.Writer) error {
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

func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return orDash(d)
}
