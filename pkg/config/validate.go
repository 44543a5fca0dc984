package config

import (
	"fmt"
	"strings"

	"github.com/containerd/platforms"
	"github.com/google/go-containerregistry/pkg/name"
)

// Variables each kind of template may name (besides env.NAME).
var (
	cacheVars = []string{"repository", "stage", "branch"}
	tagVars   = []string{"repository", "target", "branch", "pr"}
)

// validate checks what the decoder cannot: values, templates, references.
func (f *File) validate() error {
	if f.Version != 1 {
		if _, set := f.lines["version"]; !set {
			return &Error{File: f.path, Field: "version", Msg: "missing: want `version: 1`"}
		}
		return f.errorAt("version", "unsupported version %d: want 1", f.Version)
	}
	if f.Repository != "" {
		if _, err := name.NewRepository(f.Repository); err != nil {
			return f.errorAt("repository", "%v", err)
		}
	}
	for i, p := range f.Platforms {
		if _, err := platforms.Parse(p); err != nil {
			return f.errorAt(fmt.Sprintf("platforms[%d]", i), "%v", err)
		}
	}
	for i, host := range f.InsecureRegistries {
		if err := validateHost(host); err != nil {
			return f.errorAt(fmt.Sprintf("insecureRegistries[%d]", i), "%v", err)
		}
	}
	for k := range f.Args {
		if k == "" {
			return f.errorAt("args", "empty build arg name")
		}
	}
	if err := validateCacheMode(f.Cache.Mode); err != nil {
		return f.errorAt("cache.mode", "%v", err)
	}
	if err := f.validateBake(); err != nil {
		return err
	}
	if _, err := cacheTemplate(f.Cache.Ref); err != nil {
		return f.errorAt("cache.ref", "%v", err)
	}
	for i, fb := range f.Cache.Fallback {
		if _, err := cacheTemplate(fb); err != nil {
			return f.errorAt("cache.fallback", "[%d]: %v", i, err)
		}
	}
	if err := f.validateCacheMounts(); err != nil {
		return err
	}
	if err := f.validateBuilders(); err != nil {
		return err
	}
	if err := f.validateTiers(); err != nil {
		return err
	}
	for _, t := range f.Targets {
		for _, tag := range t.Tags {
			if _, err := parseTemplate(tag, tagVars...); err != nil {
				return f.errorAt("targets."+t.Name+".tags", "%v", err)
			}
		}
	}
	return nil
}

func validateCacheMode(mode string) error {
	switch mode {
	case "", CacheInline, CacheMax, CacheOff:
		return nil
	}
	return fmt.Errorf("unknown cache mode %q: want %s, %s or %s", mode, CacheInline, CacheMax, CacheOff)
}

// cacheTemplate parses a cache ref template; each stage needs its own ref.
func cacheTemplate(s string) (template, error) {
	if s == "" {
		s = DefaultCacheRef
	}
	return refTemplate(s, "stage", "every stage needs its own cache ref", cacheVars)
}

// validateHost accepts a registry as host[:port], as references name it.
func validateHost(host string) error {
	if _, err := name.NewRegistry(host); err != nil || host == "" || strings.ContainsAny(host, "/ ") {
		return fmt.Errorf("%q is not a registry host[:port] (no scheme, no path)", host)
	}
	return nil
}
