package cairn

import (
	"fmt"
	"runtime/debug"
)

// Version is cairn's version and the BuildKit client's it was built with,
// from the binary's build info.
func Version() string {
	return fmt.Sprintf("%s (buildkit client %s)", moduleVersion(""), moduleVersion("github.com/moby/buildkit"))
}

// moduleVersion reads a version from the build info: the main module's for "".
func moduleVersion(path string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
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
