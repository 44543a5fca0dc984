// Package cache turns a plan's per-stage cache refs into BuildKit cache
// import and export entries, and finds which refs exist in the registry
// before a build, so a missing ref (the first run) is a note, not a failure.
package cache

import (
	"github.com/moby/buildkit/client"

	"github.com/cairn-build/cairn/pkg/registry"
)

// Modes, as build.yaml names them.
const (
	ModeInline = "inline"
	ModeMax    = "max"
	ModeOff    = "off"
)

// Imports are the entries that import refs as registry caches. Both inline
// caches (in a stage image) and mode=max caches import this way.
// A ref on a plain-HTTP registry (reg.IsInsecure) says so to BuildKit.
func Imports(reg *registry.Access, refs []string) []client.CacheOptionsEntry {
	entries := make([]client.CacheOptionsEntry, 0, len(refs))
	for _, ref := range refs {
		attrs := map[string]string{"ref": ref}
		if reg.IsInsecure(ref) {
			attrs["registry.insecure"] = "true"
		}
		entries = append(entries, client.CacheOptionsEntry{Type: "registry", Attrs: attrs})
	}
	return entries
}

// Exports are the entries that write a stage's cache. In inline mode the
// cache rides in the stage image, which the caller stages under the cache
// ref. In max mode it goes to an OCI layout in dir, on this machine, for the
// caller to stage by digest: BuildKit's registry cache exporter would move
// the ref's tag mid-build, before cairn knows the whole build succeeded.
func Exports(mode, dir string) []client.CacheOptionsEntry {
	switch mode {
	case ModeOff:
		return nil
	case ModeMax:
		return []client.CacheOptionsEntry{{Type: "local", Attrs: map[string]string{
			"dest":           dir,
			"mode":           "max",
			"image-manifest": "true",
			"oci-mediatypes": "true",
		}}}
	default:
		return []client.CacheOptionsEntry{{Type: "inline"}}
	}
}
