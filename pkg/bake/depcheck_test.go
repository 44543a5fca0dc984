package bake_test

import (
	"testing"

	"github.com/cairn-build/cairn/internal/depcheck"
)

// buildx's bake package, which this one is built on, links BuildKit's
// client (for remote bake files and its progress types) and so gRPC and
// net/http; pkg/bake calls none of that. What the test holds: pkg/bake
// itself imports no daemon client or network package, and nothing below it
// reaches cairn's pipeline, a registry client or the CLI.
func TestDependencies(t *testing.T) {
	const pkg = "github.com/cairn-build/cairn/pkg/bake"
	depcheck.Forbid(t, pkg, depcheck.Imports(t, pkg), []string{
		"github.com/moby/buildkit/client", "github.com/docker/buildx/build", "github.com/docker/buildx/builder",
		"google.golang.org/grpc", "net", "net/http", "crypto/tls", "os/exec",
	})
	depcheck.Forbid(t, pkg, depcheck.Deps(t, pkg), []string{
		"github.com/cairn-build/cairn/pkg/cairn", "github.com/cairn-build/cairn/pkg/build",
		"github.com/cairn-build/cairn/pkg/push", "github.com/cairn-build/cairn/pkg/registry",
		"github.com/cairn-build/cairn/pkg/cache",
		"github.com/urfave/cli", "github.com/google/go-containerregistry/pkg/v1/remote",
	})
}
