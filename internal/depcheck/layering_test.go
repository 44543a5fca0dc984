package depcheck_test

import (
	"testing"

	"github.com/cairn-build/cairn/internal/depcheck"
)

const module = "github.com/cairn-build/cairn/"

// TestLayering holds cairn's layering rules, one package a row.
func TestLayering(t *testing.T) {
	tests := []struct {
		pkg, why string
		// deps may not be among the package's dependencies, nor below them;
		// noNet forbids package net itself (net/url and net/netip only parse).
		deps  []string
		noNet bool
		// imports may not be imported by the package's own files.
		imports []string
	}{
		{pkg: "pkg/planner", noNet: true,
			why: "the planner is pure data: no daemon client, no solver, no CLI, no registry, no network (BuildKit's parser, instructions and shell packages pull in none of these; containerd/platforms brings net/url and net/netip)",
			deps: []string{"github.com/moby/buildkit/client", "github.com/moby/buildkit/solver", "github.com/urfave/cli",
				"github.com/google/go-containerregistry/pkg/v1/remote", "google.golang.org/grpc", "net/http", "crypto/tls"}},
		{pkg: "pkg/check", noNet: true,
			why: "checks read a v1.Image and judge what a Runner did: the container engine, the network and the OCI layout on disk are the caller's",
			deps: []string{"github.com/moby/buildkit", "github.com/containerd", "google.golang.org/grpc",
				"github.com/google/go-containerregistry/pkg/v1/remote", "github.com/google/go-containerregistry/pkg/v1/layout", "net/http"}},
		{pkg: "pkg/config", why: "build.yaml is pure data, read without a daemon, a registry or the CLI",
			deps: []string{"github.com/moby/buildkit/client", "github.com/google/go-containerregistry/pkg/v1/remote", "github.com/urfave/cli"}},
		{pkg: "pkg/bake",
			why: "bake input is pure: buildx's bake package links BuildKit's client (remote bake files, progress types) and so gRPC and net/http, which pkg/bake never calls itself; nothing below it reaches cairn's pipeline, a registry client or the CLI",
			imports: []string{"github.com/moby/buildkit/client", "github.com/docker/buildx/build", "github.com/docker/buildx/builder",
				"google.golang.org/grpc", "net/http", "crypto/tls", "os/exec"},
			deps: []string{module + "pkg/cairn", module + "pkg/build", module + "pkg/push", module + "pkg/registry", module + "pkg/cache",
				"github.com/urfave/cli", "github.com/google/go-containerregistry/pkg/v1/remote"}},
		{pkg: "pkg/sign", why: "a signer signs and checks bytes: reading and writing registries is pkg/registry's, moving tags pkg/push's",
			imports: []string{"github.com/google/go-containerregistry/pkg/v1/remote", module + "pkg/registry", module + "pkg/push", "net/http"}},
		{pkg: "pkg/cairn", why: "the façade calls cairn's own packages, which reach registries; it knows no CLI",
			imports: []string{"github.com/google/go-containerregistry/pkg/v1/remote", "github.com/urfave/cli"}},
	}
	for _, tt := range tests {
		t.Run(tt.pkg, func(t *testing.T) {
			if len(tt.deps) > 0 {
				depcheck.Deps(t, module+tt.pkg, tt.noNet, tt.deps...)
			}
			if len(tt.imports) > 0 {
				depcheck.Imports(t, module+tt.pkg, tt.imports...)
			}
			if t.Failed() {
				t.Log(tt.why)
			}
		})
	}
}
