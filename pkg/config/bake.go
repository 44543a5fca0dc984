package config

import (
	"maps"
	"slices"
)

// BakeTarget is cairn's policy for one target of a bake file (build.yaml's
// bake: map, by bake target name): what a build.yaml says of a build that
// the bake file does not, the bake file giving the Dockerfile, context,
// stage, args, platforms and tags.
type BakeTarget struct {
	// Cache overrides the top-level cache: field by field.
	Cache Cache `yaml:"cache"`
	// Checks are the target's gates, as a build.yaml target's.
	Checks *Checks `yaml:"checks"`
	// Attest overrides the top-level attest, type by type.
	Attest *Attest `yaml:"attest"`
}

// ForBake is the build description of the bake target name, whose image is
// the Dockerfile's stage: the file's top-level policy (cache, mounts,
// tiers, registries, attestations, signing) with the target's bake: entry
// over it. Its repository, Dockerfile, context and targets are the bake
// file's to give. Paths in it stay relative to the file.
func (f *File) ForBake(name, stage string) *File {
	g := *f
	g.Repository, g.Dockerfile, g.Context, g.Args, g.Platforms, g.Bake = "", "", "", nil, nil, nil
	g.Targets = nil
	b, ok := f.Bake[name]
	if !ok {
		return &g
	}
	c := &g.Cache
	c.Mode, c.Ref, c.Write = pick(b.Cache.Mode, c.Mode), pick(b.Cache.Ref, c.Ref), pick(b.Cache.Write, c.Write)
	if b.Cache.Fallback != nil {
		c.Fallback = b.Cache.Fallback
	}
	if b.Cache.Protected != nil {
		c.Protected = b.Cache.Protected
	}
	if b.Cache.Mounts.Mode != "" || b.Cache.Mounts.Ref != "" || b.Cache.Mounts.MaxSize != "" || len(b.Cache.Mounts.Include)+len(b.Cache.Mounts.Exclude) > 0 {
		c.Mounts = b.Cache.Mounts
	}
	if b.Checks != nil || b.Attest != nil {
		g.Targets = Targets{{Name: stage, Checks: b.Checks, Attest: b.Attest}}
	}
	return &g
}

// validateBake checks that each bake: entry's cache settings are ones the
// top level takes.
func (f *File) validateBake() error {
	for _, name := range slices.Sorted(maps.Keys(f.Bake)) {
		b := f.Bake[name]
		if err := validateCacheMode(b.Cache.Mode); err != nil {
			return f.errorAt("bake."+name+".cache.mode", "%v", err)
		}
		if _, err := cacheTemplate(b.Cache.Ref); err != nil {
			return f.errorAt("bake."+name+".cache.ref", "%v", err)
		}
	}
	return nil
}
