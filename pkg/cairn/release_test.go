package cairn_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/render"
)

// TestPreflightHoldsReleaseTags: a pull request build's publish of a tag
// not its own fails in Preflight, before anything is built, matching
// ErrNothingPublished; its own {pr} tag is not held; the dry run marks the
// held tag. The environment is injected, as a CI gives it.
func TestPreflightHoldsReleaseTags(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"Dockerfile": dockerfile,
		"build.yaml": tieredConfig + "targets:\n  app:\n    tags: [latest, \"pr-{pr}\"]\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pr := githubEnv(map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_HEAD_REF": "feat", "GITHUB_REF": "refs/pull/3/merge"})
	p := loadTiered(t, dir, "reg.example.com/app", pr)
	err := p.Preflight(t.Context(), cairn.RunOptions{Push: true})
	var held *config.HeldTagsError
	if !errors.As(err, &held) || !errors.Is(err, cairn.ErrNothingPublished) || strings.Join(held.Tags, ",") != "reg.example.com/app:latest" {
		t.Fatalf("Preflight = %v, want latest held and nothing published", err)
	}
	if err := p.Preflight(t.Context(), cairn.RunOptions{}); err != nil {
		t.Errorf("Preflight without a publish = %v", err)
	}
	var moves []cairn.PlannedMove
	for _, tag := range p.Tags() {
		moves = append(moves, cairn.PlannedMove{Tag: tag})
	}
	var out bytes.Buffer
	if err := render.DryRun(&out, moves); err != nil {
		t.Fatal(err)
	}
	want := "reg.example.com/app:latest: (new tag) -> (held: a pull request build (GITHUB_EVENT_NAME=pull_request) moves only final tags of its own; a publish fails)\n" +
		"reg.example.com/app:pr-3: (new tag) -> (this build)\n"
	if out.String() != want {
		t.Errorf("dry run:\n%s\nwant\n%s", out.String(), want)
	}

	allowed, err := cairn.Load(t.Context(), cairn.LoadOptions{
		Config:    filepath.Join(dir, "build.yaml"),
		Overrides: config.Overrides{Repository: "reg.example.com/app", AllowRelease: true},
		Env:       pr,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := allowed.Preflight(t.Context(), cairn.RunOptions{Push: true}); err != nil {
		t.Errorf("Preflight with the hold lifted = %v", err)
	}
}
