package cairn_test

import (
	"maps"
	"path/filepath"
	"testing"
	"time"

	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/cache"
	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/tiers"
)

// tieredConfig gives each branch its own cache tier, reads main's as the
// fallback, and lets only main's builds write main's.
const tieredConfig = `version: 1
cache:
  ref: "{repository}:cache-{branch}-{stage}"
  fallback: ["{repository}:cache-main-{stage}"]
  protected: [main]
`

// githubEnv is the environment GitHub Actions gives a job, over which
// extra variables are set.
func githubEnv(extra map[string]string) func(string) (string, bool) {
	vars := map[string]string{"GITHUB_ACTIONS": "true", "CI": "true"}
	maps.Copy(vars, extra)
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func loadTiered(t *testing.T, dir, repo string, env func(string) (string, bool)) *cairn.Project {
	t.Helper()
	p, err := cairn.Load(t.Context(), cairn.LoadOptions{
		Config:    filepath.Join(dir, "build.yaml"),
		Overrides: config.Overrides{Repository: repo},
		Env:       env,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPullRequestReadsMainTier: a build of main writes main's tier; a pull
// request build, on a fresh daemon, gets every step from main's cache,
// leaves main's tags as they were and writes no tier of its own.
func TestPullRequestReadsMainTier(t *testing.T) {
	repo, dir := testenv.Repo(t), t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{"Dockerfile": dockerfile, "build.yaml": tieredConfig})
	main := loadTiered(t, dir, repo, githubEnv(map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_REF_NAME": "main", "GITHUB_REF": "refs/heads/main"}))
	if !main.Config.Tier.Writes || main.Config.Tier.Tag != "main" {
		t.Fatalf("main build: tier %+v, want main's, written", main.Config.Tier)
	}
	mainReport, err := run(t, main, cairn.RunOptions{Push: true})
	if err != nil {
		t.Fatalf("main build: %v", err)
	}
	testenv.ValidateReport(t, metadata(t, mainReport)) // the stamp's move too
	tags := testenv.Tags(t, repo)
	for _, want := range []string{"cache-main-base", "cache-main-app", "cache-main-_tier"} {
		if tags[want] == "" {
			t.Fatalf("main build did not write %s: %v", want, tags)
		}
	}
	if len(tags) != 3 {
		t.Errorf("main build wrote %v, want main's tier alone", tags)
	}

	// As GitHub Actions sets it for a pull_request event from branch feature/login.
	pr := loadTiered(t, dir, repo, githubEnv(map[string]string{
		"GITHUB_EVENT_NAME": "pull_request", "GITHUB_HEAD_REF": "feature/login", "GITHUB_BASE_REF": "main",
		"GITHUB_REF": "refs/pull/12/merge", "GITHUB_REF_NAME": "12/merge",
	}))
	if pr.Config.Tier.Writes || pr.Config.Tier.Tag != "feature-login" || len(pr.Tags()) != 0 {
		t.Fatalf("pull request: tier %+v, tags %v; want feature-login, read-only, no tag to move", pr.Config.Tier, pr.Tags())
	}
	report, err := run(t, pr, cairn.RunOptions{Push: true})
	if err != nil {
		t.Fatalf("pull request build: %v", err)
	}
	for _, s := range report.Stages {
		if s.Steps == 0 || s.Cached != s.Steps {
			t.Errorf("stage %s: %d of %d steps cached, want all", s.Name, s.Cached, s.Steps)
		}
		if s.CacheExport != "" {
			t.Errorf("stage %s exported its cache to %s", s.Name, s.CacheExport)
		}
		states := map[string]cache.State{}
		for _, imp := range s.CacheImports {
			states[imp.Ref] = imp.State
		}
		if own, mainRef := repo+":cache-feature-login-"+s.Name, repo+":cache-main-"+s.Name; states[own] != cache.Missing || states[mainRef] != cache.Found {
			t.Errorf("stage %s imports %v: want its own tier (missing) and main's (found)", s.Name, s.CacheImports)
		}
	}
	if len(report.Tags) != 0 {
		t.Errorf("pull request build moved %v", report.Tags)
	}
	testenv.WantTags(t, repo, tags, "pull request build changed the registry")

	// Weeks later, prune finds main's tier alone, and keeps it: protected.
	later := func() time.Time { return time.Now().Add(30 * 24 * time.Hour) }
	pruned, err := cairn.Prune(t.Context(), pr, cairn.PruneOptions{OlderThan: 14 * 24 * time.Hour, Now: later})
	if err != nil {
		t.Fatal(err)
	}
	if len(pruned.Tiers) != 1 || pruned.Tiers[0].Tier != "main" || pruned.Tiers[0].Action != tiers.Kept || pruned.Tiers[0].Written.IsZero() || pruned.Bytes != 0 {
		t.Errorf("prune: %+v, want main's tier alone, stamped and kept", pruned)
	}
	testenv.WantTags(t, repo, tags, "prune changed the registry")
}
