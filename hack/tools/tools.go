//go:build tools

// Package tools pins the daemons cairn's tests and dev environment run:
// buildkitd, buildctl and the distribution registry; and buildx, the
// oracle cairn bake --print is compared with. It lives in its own
// module so their dependency graphs stay out of cairn's go.mod.
package tools

import (
	_ "github.com/distribution/distribution/v3/cmd/registry"
	_ "github.com/docker/buildx/cmd/buildx"
	_ "github.com/moby/buildkit/cmd/buildctl"
	_ "github.com/moby/buildkit/cmd/buildkitd"
)
