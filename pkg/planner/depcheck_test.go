package planner_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// forbiddenDeps may not appear among the planner's non-test dependencies,
// nor any package below them. The planner is pure data: no daemon client,
// no solver, no CLI, no registry, no network. BuildKit's parser,
// instructions and shell packages do not pull any of these in today (they
// do pull in net/url and net/netip via distribution/reference and
// containerd/platforms, which only parse strings and stay allowed).
var forbiddenDeps = []string{
	"github.com/moby/buildkit/client",
	"github.com/moby/buildkit/solver",
	"github.com/urfave/cli",
	"github.com/google/go-containerregistry/pkg/v1/remote",
	"google.golang.org/grpc",
	"net/http",
	"crypto/tls",
}

// forbiddenExact may not appear themselves; their subpackages may.
var forbiddenExact = []string{"net"}

func TestDependencies(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Without -test, go list reports the package's own imports only, so the
	// dockerfile2llb import of llb_test.go does not count.
	out, err := exec.CommandContext(ctx, gobin, "list", "-deps", "github.com/cairn-build/cairn/pkg/planner").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, bad := range forbiddenDeps {
			if dep == bad || strings.HasPrefix(dep, bad+"/") {
				t.Errorf("planner depends on %s (forbidden: %s)", dep, bad)
			}
		}
		for _, bad := range forbiddenExact {
			if dep == bad {
				t.Errorf("planner depends on %s", dep)
			}
		}
	}
}
