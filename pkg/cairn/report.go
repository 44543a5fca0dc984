package cairn

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/check"
	"github.com/cairn-build/cairn/pkg/push"
)

// ReportVersion is the version of the Report schema (report.schema.json);
// it changes only when a field changes meaning or goes away.
const ReportVersion = 1

// Report is what a run did, and the metadata file's content
// (`cairn build --metadata-file`); report.schema.json describes it.
type Report struct {
	Version    int    `json:"version"`
	Dockerfile string `json:"dockerfile"`
	// Platforms are the platforms built for (normalized, e.g. linux/arm64).
	Platforms []string       `json:"platforms"`
	Stages    []StageReport  `json:"stages"` // in plan order
	Targets   []TargetReport `json:"targets"`
	Checks    []*CheckReport `json:"checks,omitempty"`
	// Tags are the commit's moves, in commit order; empty without --push.
	Tags []push.TagResult `json:"tags,omitempty"`
	// Warnings are BuildKit's Dockerfile warnings, each once.
	Warnings []Warning `json:"warnings,omitempty"`
	// Mounts are the cache mount directories, by cache ID, in plan order.
	Mounts []MountReport `json:"mounts"`
}

// Stage states in a Report.
const (
	StageOK       = "ok"
	StageFailed   = "failed"
	StageNotBuilt = "not-built" // a stage it depends on failed
	StageInside   = "inside"    // unnamed: built inside the stages that need it
)

// StageReport is one stage's solve.
type StageReport struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Steps  int    `json:"steps"`
	Cached int    `json:"cached"`
	// Duration is the solve's wall time in seconds.
	Duration     float64             `json:"duration"`
	Digest       string              `json:"digest,omitempty"`
	CacheImports []build.CacheImport `json:"cacheImports"`
	// CacheExport is the stage's cache ref and CacheDigest what the commit
	// moves it to.
	CacheExport string   `json:"cacheExport,omitempty"`
	CacheDigest string   `json:"cacheDigest,omitempty"`
	Tags        []string `json:"tags"`
	Error       string   `json:"error,omitempty"`
	// Source is the Dockerfile excerpt of the step that failed.
	Source string `json:"source,omitempty"`
	Note   string `json:"note,omitempty"`
	// Base is the stage's external base image, when it has one and
	// baseImages.refresh is on.
	Base *BaseReport `json:"base,omitempty"`
	// Builder names the daemon of a Pool that built the stage.
	Builder string `json:"builder,omitempty"`
	// Platform is the one platform this solve built for, when a Pool built
	// each platform on its own; the stage's tags then move to an index.
	Platform string `json:"platform,omitempty"`
}

func stageReports(stages []build.StageResult) []StageReport {
	reports := make([]StageReport, len(stages))
	for i, s := range stages {
		reports[i] = StageReport{
			Name: s.Name, Status: stageStatus(s), Steps: s.Steps, Cached: s.Cached,
			Duration: s.Duration.Round(time.Millisecond).Seconds(), Digest: s.Digest,
			CacheImports: s.CacheImports, CacheExport: s.CacheExport, CacheDigest: s.CacheDigest,
			Tags: s.Tags, Error: s.Error, Source: s.Source, Note: s.Note,
			Builder: s.Builder, Platform: s.Platform,
		}
	}
	return reports
}

func stageStatus(s build.StageResult) string {
	switch {
	case errors.Is(s.Err, build.ErrDependencyFailed):
		return StageNotBuilt
	case s.Error != "":
		return StageFailed
	case s.Digest == "" && s.Note != "":
		return StageInside
	}
	return StageOK
}

// TargetReport is a target's image: its stage's digest and tags, also
// under the keys `docker buildx build --metadata-file` writes, so scripts
// written for buildx read it unchanged.
type TargetReport struct {
	Name   string   `json:"name"`
	Digest string   `json:"digest,omitempty"`
	Tags   []string `json:"tags"`

	ImageDigest  string               `json:"containerimage.digest,omitempty"`
	ConfigDigest string               `json:"containerimage.config.digest,omitempty"`
	Descriptor   *ocispecs.Descriptor `json:"containerimage.descriptor,omitempty"`
	ImageName    string               `json:"image.name,omitempty"` // the tags, comma-separated
	// Attestations are those of the published image (BuildKit's
	// attestation manifests in its index); none without --push.
	Attestations []AttestationReport `json:"attestations,omitempty"`
}

func targetReports(p *Project, res *build.Result) []TargetReport {
	reports := make([]TargetReport, len(p.Plan.Targets))
	for i, t := range p.Plan.Targets {
		s, _ := res.Final(t.Name)
		reports[i] = TargetReport{
			Name: t.Name, Digest: s.Digest, Tags: t.Tags,
			ImageDigest: s.Digest, ConfigDigest: s.ConfigDigest, Descriptor: s.Descriptor,
			ImageName: strings.Join(t.Tags, ","),
		}
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
	if len(r.Mounts) > 0 {
		fmt.Fprintln(w)
		r.writeMounts(w)
	}
	if len(r.Tags) > 0 {
		fmt.Fprintln(w)
		r.writeTags(w)
	}
	return r.writeChecks(w)
}

func (r *Report) writeStages(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	// A pool's builds say where each stage ran; one daemon's look as before.
	platform := slices.ContainsFunc(r.Stages, func(s StageReport) bool { return s.Platform != "" })
	builder := slices.ContainsFunc(r.Stages, func(s StageReport) bool { return s.Builder != "" })
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

func column(shown bool, cell string) string {
	if !shown {
		return ""
	}
	return cell
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

// ReportSchema is the JSON Schema (draft 2020-12) of the metadata file.
//
//go:embed report.schema.json
var ReportSchema []byte

// Output says where WriteAll puts a report.
type Output struct {
	Stdout, Stderr io.Writer
	// MetadataFile receives the report as JSON; "" writes none.
	MetadataFile string
	// Env tells whether the run is a GitHub Actions job (see WriteGitHub);
	// nil means os.LookupEnv.
	Env func(string) (string, bool)
}

// WriteAll does what cairn build does with a report: the warnings again
// after the progress display (as buildx does, also when it is quiet), the
// summary and check results (on Stderr when the lint stopped the run: they
// explain the error), the metadata file, and GitHub's job summary and outputs.
func (r *Report) WriteAll(o Output) error {
	if o.Env == nil {
		o.Env = os.LookupEnv
	}
	err := r.WriteWarnings(o.Stderr)
	out := o.Stdout
	if len(r.Stages) == 0 {
		out = o.Stderr
	}
	err = errors.Join(err, r.Show(out))
	if o.MetadataFile != "" && len(r.Stages) > 0 {
		err = errors.Join(err, r.WriteFile(o.MetadataFile))
	}
	return errors.Join(err, r.WriteGitHub(o.Env, o.MetadataFile))
}
