package build

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
)

// Gateway is a daemon that runs gateway builds (*client.Client is one):
// cairn reads its capabilities through one, as buildx does.
type Gateway interface {
	Build(ctx context.Context, opt client.SolveOpt, product string, buildFunc gateway.BuildFunc, statusChan chan *client.SolveStatus) (*client.SolveResponse, error)
}

var _ Gateway = (*client.Client)(nil)

// SupportsAttestations reports whether the daemon's image exporter writes
// attestations (the LLB capability exporter.image.attestations, BuildKit
// v0.11 and later), read from an empty internal gateway build. A Solver
// that is not a Gateway (a test double) is taken to support them.
func SupportsAttestations(ctx context.Context, s Solver) (bool, error) {
	g, ok := s.(Gateway)
	if !ok {
		return true, nil
	}
	var supported bool
	_, err := g.Build(ctx, client.SolveOpt{Internal: true}, "cairn", func(_ context.Context, c gateway.Client) (*gateway.Result, error) {
		caps := c.BuildOpts().LLBCaps
		supported = caps.Supports(pb.CapAttestations) == nil
		return nil, nil
	}, nil)
	if err != nil {
		return false, fmt.Errorf("read the BuildKit daemon's capabilities: %w", err)
	}
	return supported, nil
}

// CheckAttests readies the targets' attestations for the build on d, as
// buildx does: a build that publishes nothing makes none (a note says
// so); on a daemon without attestations, a target for which explicit
// says they were asked is an error, and the publish default is dropped.
func (o *Options) CheckAttests(ctx context.Context, d Solver, explicit func(target string) bool) error {
	attested := o.attested()
	if len(attested) == 0 {
		return nil
	}
	if !o.Push {
		notef(*o, "attestations go only into published images: this build publishes nothing and makes none")
		return nil
	}
	ok, err := SupportsAttestations(ctx, d)
	if err != nil || ok {
		return err
	}
	for _, name := range attested {
		if explicit(name) {
			return fmt.Errorf("target %s: attestations asked, but the BuildKit daemon has no %s (BuildKit v0.11 and later)", name, pb.CapAttestations)
		}
	}
	o.DropAttests()
	notef(*o, "the BuildKit daemon has no %s: no default provenance for %s", pb.CapAttestations, strings.Join(attested, ", "))
	return nil
}

// attested are the targets with attestations, sorted.
func (o *Options) attested() []string {
	var names []string
	for _, name := range slices.Sorted(maps.Keys(o.Targets)) {
		if len(o.Targets[name].Attests) > 0 {
			names = append(names, name)
		}
	}
	return names
}

// DropAttests removes every target's attestations from o (the caller's
// map stays as it was), and names the targets that had any.
func (o *Options) DropAttests() []string {
	dropped := o.attested()
	targets := maps.Clone(o.Targets)
	for _, name := range dropped {
		t := targets[name]
		t.Attests = nil
		targets[name] = t
	}
	o.Targets = targets
	return dropped
}
