package bake_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// buildx's bake package, which this one is built on, links BuildKit's
// client (for remote bake files and its progress types) and so gRPC and
// net/http; pkg/bake calls none of that. What the test holds: pkg/bake
// itself imports no daemon client or network package, and nothing below it
// reaches cairn's pipeline, a registry client or the CLI.
func TestDependencies(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	list := func(args ...string) []string {
		t.Helper()
		out, err := exec.CommandContext(ctx, gobin, append([]string{"list"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %v: %v\n%s", args, err, out)
		}
		return strings.Fields(string(out))
	}
	const pkg = "github.com/cairn-build/cairn/pkg/bake"
	check := func(deps, forbidden []string, what string) {
		t.Helper()
		for _, dep := range deps {
			for _, bad := range forbidden {
				if dep == bad || strings.HasPrefix(dep, bad+"/") {
					t.Errorf("pkg/bake %s %s (forbidden: %s)", what, dep, bad)
				}
			}
		}
	}
	check(list("-f", `{{join .Imports "\n"}}`, pkg), []string{
		"github.com/moby/buildkit/client", "github.com/docker/buildx/build", "github.com/docker/buildx/builder",
		"google.golang.org/grpc", "net", "net/http", "crypto/tls", "os/exec",
	}, "imports")
	check(list("-deps", pkg), []string{
		"github.com/cairn-build/cairn/pkg/cairn", "github.com/cairn-build/cairn/pkg/build",
		"github.com/cairn-build/cairn/pkg/push", "github.com/cairn-build/cairn/pkg/registry",
		"github.com/cairn-build/cairn/pkg/cache",
		"github.com/urfave/cli", "github.com/google/go-containerregistry/pkg/v1/remote",
	}, "depends on")
}
