package planner_test

import (
	"testing"

	"github.com/cairn-build/cairn/internal/depcheck"
)

// The planner is pure data: no daemon client, no solver, no CLI, no
// registry, no network. BuildKit's parser, instructions and shell packages
// pull in none of these (checked with go list -deps), so net/http stays on
// the list. containerd/platforms brings net/url and net/netip, which only
// parse strings and stay allowed. The dockerfile2llb import of llb_test.go
// does not count: only non-test code is listed.
func TestDependencies(t *testing.T) {
	const pkg = "github.com/cairn-build/cairn/pkg/planner"
	depcheck.Forbid(t, pkg, depcheck.Deps(t, pkg), []string{
		"github.com/moby/buildkit/client",
		"github.com/moby/buildkit/solver",
		"github.com/urfave/cli",
		"github.com/google/go-containerregistry/pkg/v1/remote",
		"google.golang.org/grpc",
		"net/http",
		"crypto/tls",
		"net",
	})
}
