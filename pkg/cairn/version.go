package cairn

import (
	"fmt"
	"runtime/debug"
)

// version and commit are set by a release build (`make release`), as
// -ldflags "-X github.com/cairn-build/cairn/pkg/cairn.version=v1.2.0
// -X github.com/cairn-build/cairn/pkg/cairn.commit=0123abc": the linker
// sets only package variables. Unset, the build info says.
var (
	version string
	commit  string
)

// Version is cairn's version, the commit it was built from and the
// BuildKit client's version it was built with: from the release build's
// flags, else from the binary's build info (`go install …@v1.2.0` records
// the version, a build in a checkout the commit).
func Version() string {
	info, _ := debug.ReadBuildInfo()
	v, c := version, commit
	if v == "" {
		v = moduleVersion(info, "")
	}
	if c == "" {
		c = vcsRevision(info)
	}
	return fmt.Sprintf("%s (commit %s, buildkit client %s)", v, c, moduleVersion(info, "github.com/moby/buildkit"))
}

// moduleVersion reads a version from the build info: the main module's for "".
func moduleVersion(info *debug.BuildInfo, path string) string {
	if info == nil {
		return "unknown"
	}
	if path == "" {
		return info.Main.Version
	}
	for _, dep := range info.Deps {
		if dep.Path == path {
			return dep.Version
		}
	}
	return "unknown"
}

// vcsRevision is the commit the go command stamped, short, "+dirty" when
// the checkout had changes; "unknown" when it stamped none.
func vcsRevision(info *debug.BuildInfo) string {
	if info == nil {
		return "unknown"
	}
	rev, dirty := "unknown", ""
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision" && len(s.Value) >= 12:
			rev = s.Value[:12]
		case s.Key == "vcs.revision":
			rev = s.Value
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "+dirty"
		}
	}
	return rev + dirty
}
