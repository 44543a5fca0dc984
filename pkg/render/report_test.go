package render_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/cache"
	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/check"
	"github.com/cairn-build/cairn/pkg/lint"
	"github.com/cairn-build/cairn/pkg/push"
	"github.com/cairn-build/cairn/pkg/render"
)

const d1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
const d2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222"

// fullReport sets every field the schema knows.
func fullReport() *cairn.Report {
	return &cairn.Report{
		Version: cairn.ReportVersion, Dockerfile: "Dockerfile", Platforms: []string{"linux/amd64", "linux/arm/v7"},
		Stages: []cairn.StageReport{{
			StageResult: build.StageResult{Name: "app", Steps: 2, Cached: 1, Digest: d1,
				CacheImports: []build.CacheImport{{Ref: "r/app:cache-app", State: cache.Found}, {Ref: "r/app:cache-base", State: cache.Missing, Via: "base"}},
				CacheExport:  "r/app:cache-app", CacheDigest: d1, Tags: []string{"r/app:v1"}, Note: "n"},
			Status: cairn.StageOK, Duration: 1.25,
			Base: &cairn.BaseReport{Ref: "docker.io/library/busybox:1.36", Digests: map[string]string{"linux/amd64": d2, "linux/arm/v7": d1}, Previous: map[string]string{"linux/amd64": d1}},
		}, {
			StageResult: build.StageResult{Name: "other", CacheImports: []build.CacheImport{}, Tags: []string{}, Error: "boom", Source: "RUN false"},
			Status:      cairn.StageFailed,
			Base:        &cairn.BaseReport{Ref: "registry.example.com/base:1", Error: "resolve base: 401"},
		}},
		Targets: []cairn.TargetReport{{
			Name: "app", Digest: d1, Tags: []string{"r/app:v1"}, ImageDigest: d1, ConfigDigest: d2,
			Descriptor: &ocispecs.Descriptor{MediaType: ocispecs.MediaTypeImageManifest, Digest: d1, Size: 10}, ImageName: "r/app:v1",
			Inputs: d2, Skipped: cairn.SkippedUnchanged,
		}},
		Mounts: []cairn.MountReport{{
			MountResult: build.MountResult{ID: "//root/.cache/go-build", Target: "/root/.cache/go-build", Stages: []string{"app"}, Snapshot: "r/app:cache-mount-root-.cache-go-build",
				Restore: build.Restored, Source: "r/app:cache-mount-root-.cache-go-build", SourceDigest: d2,
				SourceSize: 12_000_000, RestoredBytes: 40_600_000, SavedBytes: 41_000_000, Save: build.Saved, SavedDigest: d1, Size: 12_345_678, Layers: 2, Added: 345_678},
			RestoreDuration: 0.812, SaveDuration: 1.5,
		}, {MountResult: build.MountResult{ID: "//tmp/x", Target: "/tmp/x", Stages: []string{"other"}, Restore: build.Skipped, Note: "from=x seeds it"}}},
		Checks: []*cairn.CheckReport{{
			Target:     "app",
			Lint:       []lint.Finding{{Rule: "DL3007", Severity: lint.Warning, Line: 1, Message: "m", URL: "u"}},
			Results:    []check.Result{{Kind: check.KindFile, Name: "/x", Passed: true, Message: "ok"}},
			Efficiency: &check.Efficiency{Score: 1},
		}},
		Tags: []push.TagResult{
			{Tag: "r/app:cache-app", Kind: push.KindCache, Previous: d2, Digest: d1, State: push.Moved},
			{Tag: "r/app:v1", Kind: push.KindFinal, Digest: d1, State: push.Failed, Error: "500"},
		},
		Warnings: []cairn.Warning{{Message: "FromAsCasing", Detail: []string{"d"}, URL: "u", File: "Dockerfile", Line: 1}},
		Inputs:   d1,
	}
}

// TestSkippedPublish: a publish that built nothing says so per target, on
// stdout, and writes its metadata file.
func TestSkippedPublish(t *testing.T) {
	r := &cairn.Report{Version: cairn.ReportVersion, Dockerfile: "Dockerfile", Platforms: []string{"linux/amd64"},
		Stages: []cairn.StageReport{}, Mounts: []cairn.MountReport{}, Inputs: d1,
		Targets: []cairn.TargetReport{
			{Name: "app", Digest: d2, ImageDigest: d2, Tags: []string{"r/app:v1"}, ImageName: "r/app:v1", Inputs: d1, Skipped: cairn.SkippedUnchanged},
			{Name: "test", Tags: []string{}, Inputs: d2, Skipped: cairn.SkippedUnchanged},
		},
		Tags: []push.TagResult{{Tag: "r/app:v1", Kind: push.KindFinal, Previous: d2, Digest: d2, State: push.Unchanged}},
	}
	var stdout, stderr strings.Builder
	metadata := filepath.Join(t.TempDir(), "metadata.json")
	if err := render.Outputs(r, render.Output{Stdout: &stdout, Stderr: &stderr, MetadataFile: metadata, Env: func(string) (string, bool) { return "", false }}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"app     " + d1[:19], "skipped: inputs unchanged", "r/app:v1  final"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
	if strings.Count(stdout.String(), "skipped: inputs unchanged") != 2 || stderr.Len() != 0 {
		t.Errorf("want both targets skipped on stdout, nothing on stderr:\n%s\n---\n%s", stdout.String(), stderr.String())
	}
	data, err := os.ReadFile(metadata)
	if err != nil {
		t.Fatal(err)
	}
	testenv.ValidateReport(t, data)
}

func TestReportMatchesItsSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metadata.json")
	if err := render.Outputs(fullReport(), render.Output{Stdout: io.Discard, Stderr: io.Discard, MetadataFile: path, Env: func(string) (string, bool) { return "", false }}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	testenv.ValidateReport(t, data)
	for _, key := range []string{`"containerimage.digest"`, `"containerimage.config.digest"`, `"containerimage.descriptor"`, `"image.name"`, `"duration": 1.25`, `"restore": "restored"`, `"restoreDuration": 0.812`} {
		if !bytes.Contains(data, []byte(key)) {
			t.Errorf("metadata file lacks %s:\n%s", key, data)
		}
	}
}

// TestShowCacheMounts: the summary has a CACHE MOUNT table, a line per
// mount directory, with the restore's and the save's rates and what a
// delta snapshot added.
func TestShowCacheMounts(t *testing.T) {
	var b strings.Builder
	if err := render.Report(&b, fullReport()); err != nil {
		t.Fatal(err)
	}
	lines := map[string][]string{}
	for _, line := range strings.Split(b.String(), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			lines[f[0]] = f
		}
	}
	want := map[string][]string{
		"CACHE":                 {"CACHE", "MOUNT", "RESTORE", "FROM", "RESTORE", "TIME", "SAVE", "TO", "SIZE", "SAVE", "TIME", "NOTE"},
		"/root/.cache/go-build": {"/root/.cache/go-build", "restored", d2[:19], "812ms", "(50.0", "MB/s)", "saved", d1[:19], "12.3", "MB", "(+345.7", "kB)", "1.5s", "(27.3", "MB/s)", "-"},
		"/tmp/x":                {"/tmp/x", "skipped", "-", "-", "-", "-", "-", "-", "from=x", "seeds", "it"},
	}
	for key, fields := range want {
		if got := lines[key]; strings.Join(got, " ") != strings.Join(fields, " ") {
			t.Errorf("line %q, want %q in:\n%s", strings.Join(got, " "), strings.Join(fields, " "), b.String())
		}
	}
}

func TestReportWriteGitHub(t *testing.T) {
	dir := t.TempDir()
	summary, output := filepath.Join(dir, "summary.md"), filepath.Join(dir, "output")
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary, "GITHUB_OUTPUT": output}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	if err := render.GitHub(fullReport(), lookup, "meta.json"); err != nil {
		t.Fatal(err)
	}
	out, _ := os.ReadFile(output)
	if want := "digest=" + d1 + "\ndigest-app=" + d1 + "\nmetadata=meta.json\n"; string(out) != want {
		t.Errorf("GITHUB_OUTPUT = %q, want %q", out, want)
	}
	md, _ := os.ReadFile(summary)
	for _, want := range []string{"| app | ok | 1/2 | 1.2s |", "| `r/app:v1` | final | failed |", "FromAsCasing (Dockerfile:1)"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("job summary lacks %q:\n%s", want, md)
		}
	}
	// Outside GitHub Actions nothing is written.
	env["GITHUB_ACTIONS"] = ""
	os.Remove(output)
	if err := render.GitHub(fullReport(), lookup, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(output); !os.IsNotExist(err) {
		t.Errorf("wrote %s outside GitHub Actions", output)
	}
}

// TestBakeWriteGitHub: cairn bake's job summary has a section per target
// reached, and its outputs a digest per bake target name.
func TestBakeWriteGitHub(t *testing.T) {
	dir := t.TempDir()
	summary, output, meta := filepath.Join(dir, "summary.md"), filepath.Join(dir, "output"), filepath.Join(dir, "meta.json")
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary, "GITHUB_OUTPUT": output}
	api, worker := fullReport(), fullReport()
	worker.Targets[0].Digest = d2
	o := render.Output{Stdout: io.Discard, Stderr: io.Discard, MetadataFile: meta, Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	if err := render.Bake([]string{"api", "worker", "web"}, []*cairn.Report{api, worker, nil}, o); err != nil {
		t.Fatal(err)
	}
	out, _ := os.ReadFile(output)
	if want := "digest-api=" + d1 + "\ndigest-worker=" + d2 + "\nmetadata=" + meta + "\n"; string(out) != want {
		t.Errorf("GITHUB_OUTPUT = %q, want %q", out, want)
	}
	md, _ := os.ReadFile(summary)
	for _, want := range []string{"### cairn bake", "#### target api\n", "#### target worker\n", "| app | ok | 1/2 | 1.2s |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("job summary lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(string(md), "target web") {
		t.Errorf("job summary has a section for a target not reached:\n%s", md)
	}
}
