package build_test

import (
	"context"
	"slices"
	"testing"

	"github.com/cairn-build/cairn/pkg/build"
)

// TestDropAttestsLeavesTheCallersOptions: a pool that builds each platform
// on its own drops the attestations from its copy of the options only.
func TestDropAttestsLeavesTheCallersOptions(t *testing.T) {
	targets := map[string]build.TargetOptions{
		"app":  {Attests: map[string]string{"provenance": "mode=min"}},
		"tool": {Labels: map[string]string{"k": "v"}},
	}
	bo := build.Options{Targets: targets}
	if got := bo.DropAttests(); !slices.Equal(got, []string{"app"}) {
		t.Errorf("dropped %v, want [app]", got)
	}
	if len(bo.Targets["app"].Attests) != 0 || bo.Targets["tool"].Labels["k"] != "v" {
		t.Errorf("targets after the drop: %+v", bo.Targets)
	}
	if len(targets["app"].Attests) != 1 {
		t.Errorf("the caller's targets lost their attestations: %+v", targets)
	}
}

// TestCheckAttestsWithoutPublish: a build that publishes nothing keeps
// its options and asks the daemon nothing (nil would panic).
func TestCheckAttestsWithoutPublish(t *testing.T) {
	bo := build.Options{Targets: map[string]build.TargetOptions{"app": {Attests: map[string]string{"provenance": ""}}}}
	if err := bo.CheckAttests(context.Background(), nil, func(string) bool { return true }); err != nil {
		t.Fatal(err)
	}
	if len(bo.Targets["app"].Attests) != 1 {
		t.Errorf("targets: %+v", bo.Targets)
	}
}
