package check_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// forbiddenDeps may not appear among pkg/check's non-test dependencies, nor
// any package below them. Checks read a v1.Image and judge what a Runner
// did: the container engine (BuildKit), the network and the OCI layout on
// disk are the caller's.
func forbiddenDeps() []string {
	return []string{
		"github.com/moby/buildkit",
		"github.com/containerd",
		"google.golang.org/grpc",
		"github.com/google/go-containerregistry/pkg/v1/remote",
		"github.com/google/go-containerregistry/pkg/v1/layout",
		"net/http",
	}
}

func TestDependencies(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, gobin, "list", "-deps", "github.com/cairn-build/cairn/pkg/check").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed %d packages: %q", len(deps), deps)
	}
	for _, dep := range deps {
		for _, bad := range forbiddenDeps() {
			if dep == bad || strings.HasPrefix(dep, bad+"/") {
				t.Errorf("pkg/check depends on %s (forbidden: %s)", dep, bad)
			}
		}
		// Package net itself is the sockets; net/url and net/netip only parse.
		if dep == "net" {
			t.Errorf("pkg/check depends on package net")
		}
	}
}
