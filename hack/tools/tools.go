//go:build tools

// Package tools pins the daemons cairn's tests and dev environment run:
// buildkitd, buildctl and the distribution registry; and buildx, the
// oracle cairn bake --print is compared with; and cosign, the oracle
// cairn's signatures are verified with (v3.1.3: its module graph resolves
// with buildx v0.37.2, BuildKit v0.33.1 and distribution v3.1.2 pinned). It
// lives in its own module so their dependency graphs stay out of cairn's
// go.mod.
package tools

import (
	_ "github.com/distribution/distribution/v3/cmd/registry"
	_ "github.com/docker/buildx/cmd/buildx"
	_ "github.com/moby/buildkit/cmd/buildctl"
	_ "github.com/moby/buildkit/cmd/buildkitd"
	_ "github.com/sigstore/cosign/v3/cmd/cosign"
)
