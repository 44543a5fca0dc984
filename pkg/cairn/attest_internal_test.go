package cairn

import (
	"slices"
	"testing"

	"github.com/cairn-build/cairn/pkg/build"
)

func TestAttestationType(t *testing.T) {
	tests := []struct{ predicate, want string }{
		{"https://slsa.dev/provenance/v0.2", "provenance"},
		{"https://slsa.dev/provenance/v1", "provenance"},
		{"https://spdx.dev/Document", "sbom"},
		{"https://cyclonedx.org/bom", "sbom"},
		{"https://example.com/vex", ""},
	}
	for _, tt := range tests {
		if got := attestationType(tt.predicate); got != tt.want {
			t.Errorf("attestationType(%q) = %q, want %q", tt.predicate, got, tt.want)
		}
	}
}

// TestDropAttestsLeavesTheCallersOptions: a pool that builds each platform
// on its own drops the attestations from its copy of the options only.
func TestDropAttestsLeavesTheCallersOptions(t *testing.T) {
	targets := map[string]build.TargetOptions{
		"app":  {Attests: map[string]string{"provenance": "mode=min"}},
		"tool": {Labels: map[string]string{"k": "v"}},
	}
	bo := build.Options{Targets: targets}
	if got := dropAttests(&bo); !slices.Equal(got, []string{"app"}) {
		t.Errorf("dropped %v, want [app]", got)
	}
	if len(bo.Targets["app"].Attests) != 0 || bo.Targets["tool"].Labels["k"] != "v" {
		t.Errorf("targets after the drop: %+v", bo.Targets)
	}
	if len(targets["app"].Attests) != 1 {
		t.Errorf("the caller's targets lost their attestations: %+v", targets)
	}
}
