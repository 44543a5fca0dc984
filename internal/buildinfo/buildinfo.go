// Package buildinfo says which cairn a binary is: the version and commit a
// release build sets, else what the go command stamped into the binary.
package buildinfo

import (
	"fmt"
	"runtime/debug"
)

// Describe is the version, the commit and the BuildKit client's version:
// version and commit when set (a release build's -ldflags), else from the
// binary's build info (`go install …@v1.2.0` records the version, a build
// in a checkout the commit).
func Describe(version, commit string) string {
	info, _ := debug.ReadBuildInfo()
	if version == "" {
		version = moduleVersion(info, "")
	}
	if commit == "" {
		commit = vcsRevision(info)
	}
	return fmt.Sprintf("%s (commit %s, buildkit client %s)", version, commit, moduleVersion(info, "github.com/moby/buildkit"))
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
