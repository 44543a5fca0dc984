package planner

import ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

// Options configure Plan.
type Options struct {
	// Filename is used in error messages; default "Dockerfile".
	Filename string
	// BuildArgs are --build-arg values. They override global ARG defaults and
	// the automatic platform ARGs, and are used to expand FROM.
	BuildArgs map[string]string
	// Platforms are the target platforms (build.yaml platforms:,
	// --platform). They set TARGETPLATFORM, TARGETOS, TARGETARCH,
	// TARGETVARIANT and TARGETOSVERSION, after normalizing as BuildKit
	// does (linux/arm is linux/arm/v7, linux/arm64/v8 is linux/arm64).
	// With several, New plans each and returns one plan only if their
	// stage graphs agree. Empty means BuildPlatform, as BuildKit builds for
	// the worker's platform when given none.
	Platforms []ocispecs.Platform
	// BuildPlatform is the platform of the BuildKit worker that builds. It
	// sets BUILDPLATFORM, BUILDOS, BUILDARCH, BUILDVARIANT and
	// BUILDOSVERSION. Zero means the target platform, as in dockerfile2llb.
	// When both are unset the planner plans for linux/amd64: it never
	// looks at the machine it runs on. cairn's build passes the daemon's
	// platform here, cairn plan the host's.
	BuildPlatform ocispecs.Platform
	// Targets are the requested targets; empty means the default target
	// (the last stage).
	Targets []Target
	// CacheRef names a stage's own cache ref ("" = the stage has no cache).
	// nil means no cache refs.
	CacheRef func(stage string) string
	// CacheFallbacks lists extra refs a stage imports but never writes.
	// nil means none.
	CacheFallbacks func(stage string) []string
	// CacheReadOnly makes the build read the stages' caches and write none
	// (a pull request build, a protected tier): each stage still imports
	// its CacheRef, but CacheExport is empty. CacheMountsReadOnly does the
	// same for cache mounts: a carried one is restored from its
	// CacheMountRef and fallbacks, but has no Snapshot to save to.
	CacheReadOnly       bool
	CacheMountsReadOnly bool
	// CacheMountRef names the registry snapshot that carries a cache
	// mount's directory, by its BuildKit cache ID ("" = not carried); nil
	// means none. CacheMountFallbacks are refs restored from when that one
	// is missing. CacheMountSkip says why the policy does not carry an ID
	// ("" = carry it); nil carries every ID.
	CacheMountRef       func(id string) string
	CacheMountFallbacks func(id string) []string
	CacheMountSkip      func(id string) string
}

// Target is a stage the user asked for, with the tags it is published under.
type Target struct {
	Name string   // stage name or index ("0", "1", ...)
	Tags []string // final tags, already fully resolved refs; attached to the target's stage
	Push bool     // whether the target is published
}

// Plan is the stages each target needs, in an order BuildKit can build them.
type Plan struct {
	// Platforms are the target platforms the plan holds for, normalized and
	// formatted as platforms.FormatAll does; empty when Options set neither
	// Platforms nor BuildPlatform. Stage bases and their --platform are
	// those of the first.
	Platforms []string     `json:"platforms,omitempty"`
	Targets   []TargetPlan `json:"targets"`
	Stages    []StagePlan  `json:"stages"` // every stage any target needs, in Dockerfile order
	// CacheReadOnly is Options.CacheReadOnly: no stage writes a cache.
	CacheReadOnly bool `json:"cacheReadOnly,omitempty"`
}

// TargetPlan is one requested target and the stages it needs.
type TargetPlan struct {
	// Name is the canonical stage name: the AS name, or the index for an
	// unnamed stage.
	Name string `json:"name"`
	// Stages are every stage this target needs, dependencies first (ties
	// broken by Dockerfile order), the target last.
	Stages []string `json:"stages"`
	Tags   []string `json:"tags"` // never null
	Push   bool     `json:"push"`
}

// StagePlan is one stage of the plan.
type StagePlan struct {
	Name        string `json:"name"` // the AS name, or the index for unnamed stages
	Index       int    `json:"index"`
	Base        string `json:"base"` // the FROM argument after ARG expansion
	BaseIsStage bool   `json:"baseIsStage"`
	Platform    string `json:"platform,omitempty"` // FROM --platform after expansion
	// DependsOn are the direct stage dependencies in Dockerfile order.
	DependsOn []string `json:"dependsOn"`
	// Images are the images its COPY --from and RUN --mount from= read
	// (its base's ONBUILD triggers' too), in order; Base is not among them.
	Images []string `json:"images,omitempty"`
	// Level is 0 for a stage without stage dependencies, else 1 + the
	// highest level of its dependencies; stages on a level can build in
	// parallel.
	Level int `json:"level"`
	// CacheImports are the stage's own ref, then the refs of every stage it
	// depends on transitively (in Dockerfile order), then its own fallbacks;
	// deduplicated, empty refs dropped.
	CacheImports []string `json:"cacheImports"`
	// CacheRef is the stage's own ref, its first import; CacheExport is
	// the ref it writes: CacheRef, or "" when the build is read-only.
	CacheRef    string `json:"cacheRef,omitempty"`
	CacheExport string `json:"cacheExport"`

	Tags []string `json:"tags"` // union of the tags of targets naming this stage
	Line int      `json:"line"` // line of the FROM instruction (1-based)
	// Standalone is false for an unnamed stage other than the last: BuildKit
	// cannot target it, so it is built only inside the stages that need it
	// and has no cache ref of its own.
	Standalone bool `json:"standalone"`
	// CacheMounts are the stage's RUN --mount=type=cache, in Dockerfile
	// order (the base stage's ONBUILD triggers first); never null.
	CacheMounts []CacheMount `json:"cacheMounts"`
}

// New parses a Dockerfile and plans the requested targets for every
// target platform. cairn builds one stage graph for all of them, so when
// two platforms need different stages or dependencies (FROM
// base-${TARGETARCH}), New fails naming both and the first stage that
// differs.
//
// Errors are *Error values carrying the Dockerfile line when there is one.
func New(dockerfile []byte, opts Options) (*Plan, error) {
	if opts.Filename == "" {
		opts.Filename = "Dockerfile"
	}
	df, err := parse(dockerfile, opts.Filename)
	if err != nil {
		return nil, err
	}
	return planPlatforms(df, opts)
}

// Stage returns the named stage plan.
func (p *Plan) Stage(name string) (StagePlan, bool) {
	for _, s := range p.Stages {
		if s.Name == name {
			return s, true
		}
	}
	return StagePlan{}, false
}

// Levels groups the plan's stages by Level: stages in one group can build
// concurrently. Groups are in level order, stages in Dockerfile order.
func (p *Plan) Levels() [][]string {
	var levels [][]string
	for _, s := range p.Stages {
		for len(levels) <= s.Level {
			levels = append(levels, []string{})
		}
		levels[s.Level] = append(levels[s.Level], s.Name)
	}
	return levels
}
