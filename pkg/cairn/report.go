package cairn

import (
	_ "embed"
	"errors"
	"strings"
	"time"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cairn-build/cairn/pkg/bases"
	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/inputs"
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
	// Inputs is the project's input digest (see pkg/inputs), of a publish.
	Inputs string `json:"inputs,omitempty"`
}

// Stage states in a Report.
const (
	StageOK       = "ok"
	StageFailed   = "failed"
	StageNotBuilt = "not-built" // a stage it depends on failed
	StageInside   = "inside"    // unnamed: built inside the stages that need it
)

// StageReport is one stage's solve: pkg/build's result, with the stage's
// status, its wall time in seconds and its base. (ConfigDigest and
// Descriptor are the target's, in TargetReport.)
type StageReport struct {
	build.StageResult
	Status string `json:"status"`
	// Duration is the solve's wall time in seconds.
	Duration float64 `json:"duration"`
	// Base is the stage's external base image, when it has one and
	// baseImages.refresh is on.
	Base *BaseReport `json:"base,omitempty"`
}

// BaseReport is a stage's external base image in a Report.
type BaseReport = bases.Report

func stageReports(stages []build.StageResult, checked *bases.Checked) []StageReport {
	reports := make([]StageReport, len(stages))
	for i, s := range stages {
		reports[i] = StageReport{StageResult: s, Status: stageStatus(s), Base: checked.Report(s.Name),
			Duration: s.Duration.Round(time.Millisecond).Seconds()}
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
	// Inputs is the target's input digest, of a publish; Skipped is
	// SkippedUnchanged when it was not built (see Run).
	Inputs  string `json:"inputs,omitempty"`
	Skipped string `json:"skipped,omitempty"`
}

func targetReports(p *Project, res *build.Result, in *inputs.Digests) []TargetReport {
	reports := make([]TargetReport, len(p.Plan.Targets))
	for i, t := range p.Plan.Targets {
		s, _ := res.Final(t.Name)
		reports[i] = TargetReport{
			Name: t.Name, Digest: s.Digest, Tags: t.Tags,
			ImageDigest: s.Digest, ConfigDigest: s.ConfigDigest, Descriptor: s.Descriptor,
			ImageName: strings.Join(t.Tags, ","), Inputs: in.Target(t.Name),
		}
	}
	return reports
}

// ReportSchema is the JSON Schema (draft 2020-12) of the metadata file.
//
//go:embed report.schema.json
var ReportSchema []byte

// Warning is one of BuildKit's Dockerfile warnings, repeated after a build.
type Warning = build.Warning
