package check_test

import (
	"testing"

	"github.com/cairn-build/cairn/internal/depcheck"
)

// Checks read a v1.Image and judge what a Runner did: the container engine
// (BuildKit), the network and the OCI layout on disk are the caller's, so
// none of them may be among pkg/check's dependencies.
func TestDependencies(t *testing.T) {
	const pkg = "github.com/cairn-build/cairn/pkg/check"
	depcheck.Forbid(t, pkg, depcheck.Deps(t, pkg), []string{
		"github.com/moby/buildkit",
		"github.com/containerd",
		"google.golang.org/grpc",
		"github.com/google/go-containerregistry/pkg/v1/remote",
		"github.com/google/go-containerregistry/pkg/v1/layout",
		"net/http",
		"net",
	})
}
