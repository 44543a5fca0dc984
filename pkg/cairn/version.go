package cairn

import "github.com/cairn-build/cairn/internal/buildinfo"

// version and commit are set by a release build (`make release`), as
// -ldflags "-X github.com/cairn-build/cairn/pkg/cairn.version=v1.2.0
// -X github.com/cairn-build/cairn/pkg/cairn.commit=0123abc": the linker
// sets only package variables. Unset, the build info says.
var (
	version string
	commit  string
)

// Version is cairn's version, the commit it was built from and the
// BuildKit client's version it was built with (see buildinfo.Describe).
func Version() string { return buildinfo.Describe(version, commit) }
