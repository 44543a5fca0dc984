package build_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	apicapspb "github.com/moby/buildkit/util/apicaps/pb"

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
	if err := bo.CheckAttests(t.Context(), nil, func(string) bool { return true }); err != nil {
		t.Fatal(err)
	}
	if len(bo.Targets["app"].Attests) != 1 {
		t.Errorf("targets: %+v", bo.Targets)
	}
}

// capsDaemon is a Gateway whose LLB capabilities are BuildKit's, without
// attestations unless attest.
type capsDaemon struct {
	build.Solver
	attest bool
}

func (d capsDaemon) Build(ctx context.Context, _ client.SolveOpt, _ string, f gateway.BuildFunc, _ chan *client.SolveStatus) (*client.SolveResponse, error) {
	var caps []*apicapspb.APICap
	for _, c := range pb.Caps.All() {
		if d.attest || c.ID != string(pb.CapAttestations) {
			caps = append(caps, c)
		}
	}
	_, err := f(ctx, capsClient{caps: caps})
	return &client.SolveResponse{}, err
}

type capsClient struct {
	gateway.Client
	caps []*apicapspb.APICap
}

func (c capsClient) BuildOpts() gateway.BuildOpts {
	return gateway.BuildOpts{LLBCaps: pb.Caps.CapSet(c.caps)}
}

// TestCheckAttests: on a daemon without attestations the publish default
// is dropped, as buildx drops it, and attestations asked for fail the
// build naming the target; a daemon with them keeps them all.
func TestCheckAttests(t *testing.T) {
	tests := []struct {
		name     string
		attest   bool
		explicit bool
		err      string
		kept     bool
	}{
		{"supported", true, true, "", true},
		{"default dropped", false, false, "", false},
		{"asked for", false, true, "target app: attestations asked, but the BuildKit daemon has no exporter.image.attestations", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bo := build.Options{Push: true, Targets: map[string]build.TargetOptions{"app": {Attests: map[string]string{"provenance": "mode=min"}}, "gate": {}}}
			err := bo.CheckAttests(t.Context(), capsDaemon{attest: tt.attest}, func(string) bool { return tt.explicit })
			if (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
				t.Errorf("err = %v, want %q", err, tt.err)
			}
			if kept := len(bo.Targets["app"].Attests) > 0; kept != tt.kept {
				t.Errorf("attestations kept: %v, want %v", kept, tt.kept)
			}
		})
	}
}
