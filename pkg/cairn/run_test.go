package cairn_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/push"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const dockerfile = `FROM busybox:1.36 AS base
ARG STAMP=1
RUN echo "base $STAMP" > /base

FROM base AS app
ARG FAIL=0
RUN test "$FAIL" = 0 && echo app > /app
`

// project writes a two-stage project and loads it with its repository in
// the test registry.
func project(t *testing.T, repo string, args map[string]string) *cairn.Project {
	t.Helper()
	return load(t, writeProject(t), repo, args)
}

func writeProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"Dockerfile": dockerfile, "build.yaml": "version: 1\ntargets:\n  app:\n    tags: [v1]\n"}
	testenv.WriteFiles(t, dir, files)
	return dir
}

func load(t *testing.T, dir, repo string, args map[string]string) *cairn.Project {
	t.Helper()
	p, err := cairn.Load(t.Context(), cairn.LoadOptions{
		Config:    filepath.Join(dir, "build.yaml"),
		Overrides: config.Overrides{Repository: repo, Args: args},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, p *cairn.Project, opts cairn.RunOptions) (*cairn.Report, error) {
	t.Helper()
	return runOn(t, testenv.NewDaemon(t).Addr, p, opts)
}

// runOn runs the pipeline on the daemon at addr.
func runOn(t *testing.T, addr string, p *cairn.Project, opts cairn.RunOptions) (*cairn.Report, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	c, err := cairn.Dial(ctx, cairn.DaemonOptions{Addr: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return cairn.Run(ctx, cairn.On(c), p, opts)
}

// TestRunPublishesThroughTheLibrary: Run publishes exactly the tags
// Project.Tags names, at the digests the report gives; a failing build then
// matches ErrNothingPublished and leaves every tag where it was.
func TestRunPublishesThroughTheLibrary(t *testing.T) {
	repo := testenv.Repo(t)
	p := project(t, repo, nil)
	report, err := run(t, p, cairn.RunOptions{Push: true})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	testenv.ValidateReport(t, metadata(t, report))
	if tr := report.Targets[0]; tr.ImageDigest != tr.Digest || tr.ConfigDigest == "" || tr.Descriptor == nil || tr.Descriptor.Digest.String() != tr.Digest || tr.ImageName != repo+":v1" {
		t.Errorf("target %+v: want buildx's keys filled in", tr)
	}
	tags := testenv.Tags(t, repo)
	stages := map[string]string{}
	for _, s := range report.Stages {
		stages[s.Name] = s.Digest
	}
	want := map[string]string{"cache-base": stages["base"], "cache-app": stages["app"], "v1": stages["app"]}
	if !maps.Equal(tags, want) {
		t.Errorf("registry tags %v, want %v", tags, want)
	}
	if len(report.Tags) != len(p.Tags()) {
		t.Errorf("report has %d tag results, project names %d tags", len(report.Tags), len(p.Tags()))
	}
	for _, tr := range report.Tags {
		if tr.State != push.Moved {
			t.Errorf("%s: %s, want moved", tr.Tag, tr.State)
		}
	}

	moves, err := cairn.DryRun(t.Context(), p, cairn.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range moves {
		if tag := strings.TrimPrefix(m.Ref, repo+":"); m.Current != tags[tag] {
			t.Errorf("dry run: %s currently %q, registry says %q", m.Ref, m.Current, tags[tag])
		}
	}

	failing := project(t, repo, map[string]string{"FAIL": "1", "STAMP": "2"})
	_, err = run(t, failing, cairn.RunOptions{Push: true})
	if !errors.Is(err, cairn.ErrNothingPublished) {
		t.Errorf("failed build: error %v, want one matching ErrNothingPublished", err)
	}
	testenv.WantTags(t, repo, tags, "a failed build moved tags")
}

// TestLabelsAndSourceDateEpoch: in a git checkout, published images carry
// the OCI source, revision and created labels, and their config's created
// time is the commit's; a cache-only stage image gets no labels, so it stays
// the same from commit to commit.
func TestLabelsAndSourceDateEpoch(t *testing.T) {
	repo, dir := testenv.Repo(t), writeProject(t)
	commitTime := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	testenv.GitCommit(t, dir, commitTime)
	p := load(t, dir, repo, nil)
	if p.Source.Epoch == nil || !p.Source.Epoch.Equal(commitTime) {
		t.Fatalf("epoch %v, want the commit time %v", p.Source.Epoch, commitTime)
	}
	if _, err := run(t, p, cairn.RunOptions{Push: true}); err != nil {
		t.Fatal(err)
	}
	final := imageConfig(t, repo+":v1")
	if !final.Created.Time.Equal(commitTime) {
		t.Errorf("final image created %v, want %v", final.Created.Time, commitTime)
	}
	want := map[string]string{
		"org.opencontainers.image.source":   "https://git.example.com/team/app.git",
		"org.opencontainers.image.revision": p.Source.Commit,
		"org.opencontainers.image.created":  "2026-05-06T07:08:09Z",
	}
	for k, v := range want {
		if got := final.Config.Labels[k]; got != v {
			t.Errorf("label %s = %q, want %q", k, got, v)
		}
	}
	if cacheOnly := imageConfig(t, repo+":cache-base"); len(cacheOnly.Config.Labels) != 0 {
		t.Errorf("cache-only stage image has labels %v", cacheOnly.Config.Labels)
	}
}

func imageConfig(t *testing.T, ref string) *v1.ConfigFile {
	t.Helper()
	cf, err := testenv.Image(t, ref).ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	return cf
}

// metadata round-trips a report through JSON, as a metadata file.
func metadata(t *testing.T, r *cairn.Report) []byte {
	t.Helper()
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
