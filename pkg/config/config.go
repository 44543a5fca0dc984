// Package config reads build.yaml, cairn's build description: the repository
// everything is published under, the Dockerfile and its build args, the cache
// policy and the targets with their tags. It is pure data: no daemon, no network.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/cairn-build/cairn/internal/located"
	"github.com/cairn-build/cairn/pkg/check"
)

// DefaultFile is the build description cairn reads when present.
const DefaultFile = "build.yaml"

// Cache modes.
const (
	// CacheInline: each stage image carries its inline cache and is pushed as
	// the stage's cache ref (the classic per-stage recipe).
	CacheInline = "inline"
	// CacheMax: a registry cache (mode=max) per stage, beside the images.
	CacheMax = "max"
	// CacheOff: no cache imported or exported.
	CacheOff = "off"
)

// File is a parsed build.yaml. Zero values mean "the default".
type File struct {
	Version    int               `yaml:"version"`
	Repository string            `yaml:"repository"`
	Dockerfile string            `yaml:"dockerfile"`
	Context    string            `yaml:"context"`
	Args       map[string]string `yaml:"args"`
	Platforms  []string          `yaml:"platforms"`
	Cache      Cache             `yaml:"cache"`
	Targets    Targets           `yaml:"targets"`
	// InsecureRegistries are reached over plain HTTP (loopback ones always are).
	InsecureRegistries []string `yaml:"insecureRegistries"`
	// RegistryMirrors map a registry (docker.io) to the hosts its images
	// are read from first, as the daemon's mirrors (mirrors.go).
	RegistryMirrors map[string][]string `yaml:"registryMirrors"`
	BaseImages      BaseImages          `yaml:"baseImages"`
	// Docker are docker build's options: labels, network, secrets, … (docker.go).
	Docker `yaml:",inline"`
	// Builders are the BuildKit daemons to build on; --addr replaces them.
	Builders []Builder `yaml:"builders"`
	// Release says which builds may move the final tags (release.go).
	Release Release `yaml:"release"`
	// Attest are the attestations of every target's image (attest.go).
	Attest Attest `yaml:"attest"`
	// Sign says how the published images are signed (sign.go).
	Sign Sign `yaml:"sign"`
	// Bake is `cairn bake`'s policy per bake target name (bake.go).
	Bake map[string]BakeTarget `yaml:"bake"`

	path  string
	lines map[string]int // field path → line, for errors found after parsing
}

// Cache is the cache policy: how each stage's cache ref is named and used.
type Cache struct {
	Mode     string   `yaml:"mode"`
	Ref      string   `yaml:"ref"`
	Fallback []string `yaml:"fallback"`
	// Mounts carries RUN --mount=type=cache directories between runners.
	Mounts CacheMounts `yaml:"mounts"`
	// Write is which builds write the cache: auto (all but pull requests),
	// branch or none.
	Write string `yaml:"write"`
	// Protected are branches whose tier only their own builds write
	// ("main", "release/*").
	Protected []string `yaml:"protected"`
}

// Target is one stage to build, with its final tags.
type Target struct {
	Name string   `yaml:"-"`
	Tags []string `yaml:"tags"`
	// Push false makes the target a gate: built, never published.
	Push *bool `yaml:"push"`
	// Checks must all pass before anything is published.
	Checks *Checks `yaml:"checks"`
	// Attest overrides the top-level attest: for this target, type by type.
	Attest *Attest `yaml:"attest"`
}

// Checks are a target's gates, run on its built image.
type Checks struct {
	Files      []check.FileCheck      `yaml:"files"`
	Metadata   *check.MetadataCheck   `yaml:"metadata"`
	Commands   []check.CommandCheck   `yaml:"commands"`
	Efficiency *check.EfficiencyCheck `yaml:"efficiency"`
	Lint       *Lint                  `yaml:"lint"`
	// StructureTests are container-structure-test files (schemaVersion
	// 2.0.0), relative to build.yaml; their tests join the ones above.
	StructureTests []string `yaml:"structureTests"`
}

// Lint configures the Dockerfile lint of a target.
type Lint struct {
	Ignore     []string          `yaml:"ignore"`   // rule ids
	Severity   map[string]string `yaml:"severity"` // rule id → error, warning, info or off
	PinDigests bool              `yaml:"pinDigests"`
}

// Pushed reports whether the target is published (the default).
func (t Target) Pushed() bool { return t.Push == nil || *t.Push }

// Targets keep the order they are written in: it is the order they are planned and shown.
type Targets []Target

// Defaults of the fields a build.yaml may leave out.
const (
	DefaultDockerfile = "Dockerfile"
	DefaultContext    = "."
	DefaultCacheRef   = "{repository}:cache-{stage}"
)

// Load reads and validates a build.yaml.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read build config: %w", err)
	}
	return Parse(path, data)
}

// Parse validates a build.yaml's content; path names it in errors.
func Parse(path string, data []byte) (*File, error) {
	f := &File{path: path, lines: map[string]int{}}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: path, Msg: "empty file: want at least `version: 1`"}
		}
		return nil, &Error{File: path, Line: yamlErrorLine(err), Msg: yamlErrorMsg(err)}
	}
	if err := decodeStrict(&decoder{file: path, lines: f.lines}, doc.Content[0], "", f); err != nil {
		return nil, err
	}
	if err := f.validate(); err != nil {
		return nil, err
	}
	return f, nil
}

// Path is the file the config was read from.
func (f *File) Path() string { return f.path }

// errorAt is an Error at the line a field was written on.
func (f *File) errorAt(field, format string, args ...any) *Error {
	return &Error{File: f.path, Line: f.lines[field], Field: field, Msg: fmt.Sprintf(format, args...)}
}

// errorIn is an Error at the line a field was written on, caused by err:
// errors.As finds what err holds (an OptionError).
func (f *File) errorIn(field string, err error) *Error {
	return &Error{File: f.path, Line: f.lines[field], Field: field, Err: err}
}

// Error is a problem in a build.yaml, tied to a line and field where known:
// "build.yaml:3: cache.mode: msg". It is cairn's one located error type,
// so errors.As into a *located.Error finds it too.
type Error = located.Error
