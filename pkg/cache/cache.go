// Package cache turns a plan's per-stage cache refs into BuildKit cache
// import and export entries, and finds which refs exist in the registry
// before a build, so a missing ref (the first run) is a note, not a failure.
package cache

import (
	"net"
	"strings"

	"github.com/moby/buildkit/client"
)

// Modes, as build.yaml names them.
const (
	ModeInline = "inline"
	ModeMax    = "max"
	ModeOff    = "off"
)

// Registries says which registries speak plain HTTP. Loopback ones always do:
// a local registry with TLS is rare, and one on loopback leaks nothing.
type Registries struct {
	Insecure []string // host[:port], from build.yaml and --insecure-registry
}

// IsInsecure reports whether ref's registry is reached over plain HTTP.
func (r Registries) IsInsecure(ref string) bool {
	host := registryHost(ref)
	for _, h := range r.Insecure {
		if h == host {
			return true
		}
	}
	hostname := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		hostname = h
	}
	if hostname == "localhost" {
		return true
	}
	ip := net.ParseIP(hostname)
	return ip != nil && ip.IsLoopback()
}

// registryHost is the registry part of a reference ("docker.io" when none).
func registryHost(ref string) string {
	first, _, found := strings.Cut(ref, "/")
	if found && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return first
	}
	return "docker.io"
}

// Imports are the entries that import refs as registry caches. Both inline
// caches (in a stage image) and mode=max caches import this way.
func (r Registries) Imports(refs []string) []client.CacheOptionsEntry {
	entries := make([]client.CacheOptionsEntry, 0, len(refs))
	for _, ref := range refs {
		entries = append(entries, client.CacheOptionsEntry{Type: "registry", Attrs: r.attrs(ref)})
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

func (r Registries) attrs(ref string) map[string]string {
	attrs := map[string]string{"ref": ref}
	if r.IsInsecure(ref) {
		attrs["registry.insecure"] = "true"
	}
	return attrs
}
