package tiers

import (
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/planner"
)

// TestStampsWrittenTheOldWayAreRead: a tier whose stamp an older cairn
// wrote (application/vnd.cairn.cache.tier.v1, dev.cairn.cache.branch) is
// dated and named as one this cairn writes, and so can be pruned.
func TestStampsWrittenTheOldWayAreRead(t *testing.T) {
	f, err := config.Parse("build.yaml", []byte("version: 1\nrepository: reg.example.com/app\ncache:\n  ref: \"{repository}:cache-{branch}-{stage}\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := f.Resolve(config.Overrides{Branch: "main"}, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	plan, err := planner.New([]byte("FROM busybox:1.36 AS app\n"), cfg.PlanOptions())
	if err != nil {
		t.Fatal(err)
	}
	patterns, err := tierPatterns(cfg, plan)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := name.NewRepository("reg.example.com/app")
	if err != nil {
		t.Fatal(err)
	}
	written := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	stamps := map[string]*manifestInfo{
		"old": {artifact: "application/vnd.cairn.cache.tier.v1", annotations: map[string]string{
			annotationCreated: written.Format(time.RFC3339Nano), "dev.cairn.cache.tier": "old", "dev.cairn.cache.branch": "feat/old"}},
		"new": {artifact: "application/vnd.cairn-build.tier-stamp.v1", annotations: map[string]string{
			annotationCreated: written.Format(time.RFC3339Nano), "io.github.cairn-build.v1.tier.name": "new", "io.github.cairn-build.v1.tier.branch": "feat/new"}},
	}
	pr := &pruner{tier: cfg.Tier, patterns: patterns, stamps: map[string]bool{}, manifests: map[string]*manifestInfo{}}
	for tier, info := range stamps {
		ft := foundTag{repo: repo, tag: "cache-" + tier + "-" + config.StampStage}
		ft.tiers = pr.match(repo.Name(), ft.tag)
		info.digest, info.blobs = "sha256:"+tier, map[string]int64{}
		pr.tags, pr.manifests[ft.ref()] = append(pr.tags, ft), info
	}
	report := pr.plan(written.Add(time.Hour))
	if len(report.Tiers) != 2 {
		t.Fatalf("tiers %+v, want old and new", report.Tiers)
	}
	for _, r := range report.Tiers {
		if !r.Written.Equal(written) || r.Branch != "feat/"+r.Tier || r.Action != Delete {
			t.Errorf("tier %s: %+v, want written %s on branch feat/%s, to delete", r.Tier, r, written, r.Tier)
		}
	}
}
