package build

import (
	"maps"
	"testing"

	"github.com/cairn-build/cairn/pkg/planner"
)

// TestOnePlatform: a platform's own solve gets the manifest annotations
// for it and those for every manifest; index annotations are left for the
// index, those of other platforms dropped.
func TestOnePlatform(t *testing.T) {
	bo := Options{
		Platforms: []string{"linux/amd64", "linux/arm64"},
		Stages: map[string]StageOptions{"s": {Pull: true, ImageAnnotations: map[string]string{
			"annotation.base.name":                     "busybox",
			"annotation-index.base.digests":            "linux/amd64=sha256:a,linux/arm64=sha256:b",
			"annotation-manifest[linux/amd64].base.dg": "sha256:a",
			"annotation-manifest[linux/arm64].base.dg": "sha256:b",
		}}},
		Targets: map[string]TargetOptions{"s": {Annotations: map[string]string{
			"annotation-index.team":                  "core",
			"annotation-manifest[linux/arm64/v8].os": "arm",
		}}},
	}
	tests := []struct {
		platform       string
		stage, target  map[string]string
		indexForStages map[string]string
	}{
		{"linux/amd64",
			map[string]string{"annotation.base.name": "busybox", "annotation-manifest.base.dg": "sha256:a"},
			map[string]string{},
			map[string]string{"base.digests": "linux/amd64=sha256:a,linux/arm64=sha256:b", "team": "core"}},
		{"linux/arm64",
			map[string]string{"annotation.base.name": "busybox", "annotation-manifest.base.dg": "sha256:b"},
			map[string]string{"annotation-manifest.os": "arm"},
			map[string]string{"base.digests": "linux/amd64=sha256:a,linux/arm64=sha256:b", "team": "core"}},
	}
	for _, tt := range tests {
		got, index := onePlatform(bo, tt.platform)
		if len(got.Platforms) != 1 || got.Platforms[0] != tt.platform {
			t.Errorf("%s: platforms %v", tt.platform, got.Platforms)
		}
		if s := got.Stages["s"]; !maps.Equal(s.ImageAnnotations, tt.stage) || !s.Pull {
			t.Errorf("%s: stage options %+v, want annotations %v", tt.platform, s, tt.stage)
		}
		if a := got.Targets["s"].Annotations; !maps.Equal(a, tt.target) {
			t.Errorf("%s: target annotations %v, want %v", tt.platform, a, tt.target)
		}
		if !maps.Equal(index["s"], tt.indexForStages) {
			t.Errorf("%s: index annotations %v, want %v", tt.platform, index["s"], tt.indexForStages)
		}
	}
	if len(bo.Stages["s"].ImageAnnotations) != 4 {
		t.Error("onePlatform changed the options it was given")
	}
}

// TestJoinPlatformsKeepsTheMounts: the result of a build of two platforms,
// each on its own, has every stage once per platform and the cache mounts
// their RUNs share once, as ran: the report lists them and SaveMounts sees them.
func TestJoinPlatformsKeepsTheMounts(t *testing.T) {
	plan := &planner.Plan{Stages: []planner.StagePlan{{Name: "app"}}}
	part := func(platform string, ran bool) *PlatformBuild {
		return &PlatformBuild{Platform: platform, Plan: plan, res: &Result{
			Stages: []StageResult{{Name: "app", Digest: "sha256:" + platform}},
			Mounts: []MountResult{{ID: "//var/cache/app", Snapshot: "r/app:cache-mount", Restore: Missing, Ran: ran}},
		}}
	}
	res := joinPlatforms([]*PlatformBuild{part("linux/amd64", false), part("linux/arm64", true)})
	if len(res.Stages) != 2 || res.Stages[0].Platform != "linux/amd64" || res.Stages[1].Platform != "linux/arm64" {
		t.Errorf("stages %+v, want app for each platform in order", res.Stages)
	}
	if len(res.Mounts) != 1 || !res.Mounts[0].Ran || res.Mounts[0].Snapshot != "r/app:cache-mount" {
		t.Errorf("mounts %+v, want the one mount, ran", res.Mounts)
	}
}
