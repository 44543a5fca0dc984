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
// instructions and shell packages pull in none of these (checked with
// go list -deps), so net/http stays on the list. containerd/platforms brings
// net/url and net/netip, which only parse strings and stay allowed.
func forbiddenDeps() []string {
	return []string{
		"github.com/moby/buildkit/client",
		"github.com/moby/buildkit/solver",
		"github.com/urfave/cli",
		"github.com/google/go-containerregistry/pkg/v1/remote",
		"google.golang.org/grpc",
		"net/http",
		"crypto/tls",
	}
}

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
		for _, bad := range forbiddenDeps() {
			if dep == bad || strings.HasPrefix(dep, bad+"/") {
				t.Errorf("planner depends on %s (forbidden: %s)", dep, bad)
			}
		}
		// Package net itself is the sockets; net/url and net/netip only parse.
		if dep == "net" {
			t.Errorf("planner depends on package net")
		}
	}
}
