package config

import (
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	"github.com/google/go-containerregistry/pkg/name"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cairn-build/cairn/pkg/planner"
)

// Default is the description used when there is no build.yaml: the flags say it all.
func Default() *File {
	return &File{Version: 1, path: "(flags)", lines: map[string]int{}}
}

// Overrides are command-line values; each set one replaces the file's.
type Overrides struct {
	Dockerfile string
	Context    string
	Repository string
	Args       map[string]string // merged over the file's args
	Platforms  []string
	CacheMode  string
	CacheRef   string
	// CacheMounts is --cache-mounts: auto or off.
	CacheMounts string
	Targets     []string // build these targets; tags of targets the file names are kept
	Tags        []string // replace the tags of every selected target
	// InsecureRegistries are added to the file's.
	InsecureRegistries []string
	// RegistryMirrors are --registry-mirror's [REGISTRY=]MIRROR values,
	// after the file's.
	RegistryMirrors []string
	// Docker are docker build's flags, added to or overriding build.yaml's.
	Docker DockerFlags
	// Attest are buildx's attestation flags, overriding build.yaml's attest:.
	Attest AttestFlags
	// SignKey is --sign-key: the signing key file, over build.yaml's sign.key.
	SignKey string
	// RefreshBases is --refresh-bases; nil keeps build.yaml's baseImages.refresh.
	RefreshBases *bool
	// Branch is --branch: the build's branch, for {branch} and
	// cache.protected. Without it the CI's variables name it (DetectCI),
	// else CheckoutBranch, the git checkout's.
	Branch         string
	CheckoutBranch string
	// CacheWrite is --cache-write: auto, branch or none.
	CacheWrite string
	// CacheFrom and CacheTo are a bake target's, in buildx's CSV form. A
	// registry CacheFrom ref is imported by every stage, after the file's
	// cache.fallback; the others, and every CacheTo, are left out with a
	// note: cairn writes each stage's cache to its own ref, in the commit.
	CacheFrom, CacheTo []string
	// AllowRelease lifts the hold on final tags, as release.allowAnyBuild
	// does (see ReleaseHold).
	AllowRelease bool
}

// Build is a build description with overrides applied and every template
// resolved except {stage}, which each stage fills in.
type Build struct {
	Dockerfile string // path of the Dockerfile
	Context    string // path of the build context
	Repository string
	Args       map[string]string
	Platforms  []string
	CacheMode  string
	Targets    []planner.Target
	// InsecureRegistries are reached over plain HTTP.
	InsecureRegistries []string
	// RegistryMirrors map a registry to the hosts its images are read
	// from first, in order (mirrors.go).
	RegistryMirrors map[string][]string
	// Checks are the gates of the selected targets that have any, by target.
	Checks map[string]TargetChecks
	// Notes say what was left out and why (e.g. no repository, so no cache refs).
	Notes []string
	// CacheMounts says which cache mount directories travel, and where.
	CacheMounts CacheMountPolicy
	// Solve are docker build's options for the solves (docker.go).
	Solve Solve
	// RefreshBases checks the stages' base images against the digests their
	// caches were built on (see BaseImages).
	RefreshBases bool
	// Builders are build.yaml's builders:, named, their paths resolved.
	Builders []Builder

	// Tier is the build's branch tier: what {branch} is, and whether a
	// publish writes the cache or only reads it.
	Tier CacheTier
	// Release says which final tags a publish of the build may move.
	Release ReleaseHold
	// Sign says how the published images are signed: build.yaml's sign:,
	// its key relative to the working directory ("" signs nothing).
	Sign Sign

	local   local        // -o and --iidfile, per target: see Outputs and IIDFile
	attests attestLayers // see Attests

	platforms      []ocispecs.Platform // Platforms, parsed and normalized
	cacheRef       template
	cacheFallbacks []template
	cacheVars      map[string]string
	env            func(string) (string, bool)
}

// Resolve applies the overrides and resolves templates; env looks up
// {env.NAME} (os.LookupEnv in the CLI).
func (f *File) Resolve(o Overrides, env func(string) (string, bool)) (*Build, error) {
	b := &Build{
		Dockerfile: pick(o.Dockerfile, filepath.Join(f.base(), pick(f.Dockerfile, DefaultDockerfile))),
		Context:    f.ContextDir(o),
		Repository: pick(o.Repository, f.Repository),
		Args:       maps.Clone(f.Args),
		Platforms:  f.Platforms,
		CacheMode:  pick(o.CacheMode, pick(f.Cache.Mode, CacheInline)),
		env:        env,

		RefreshBases: f.refreshBases(o),
	}
	if b.Args == nil {
		b.Args = map[string]string{}
	}
	maps.Copy(b.Args, o.Args)
	if len(o.Platforms) > 0 {
		b.Platforms = splitList(o.Platforms) // --platform linux/amd64,linux/arm64
	}
	for _, p := range b.Platforms {
		if _, err := platforms.Parse(p); err != nil {
			return nil, overrideError("Platforms", "", err)
		}
	}
	b.platforms = parsePlatforms(b.Platforms)
	o.Targets = splitList(o.Targets)
	b.InsecureRegistries = append(slices.Clone(f.InsecureRegistries), o.InsecureRegistries...)
	for _, host := range o.InsecureRegistries {
		if err := validateHost(host); err != nil {
			return nil, overrideError("InsecureRegistries", "", err)
		}
	}
	mirrors, err := f.resolveMirrors(o.RegistryMirrors)
	if err != nil {
		return nil, err
	}
	b.RegistryMirrors = mirrors
	if o.Repository != "" {
		if _, err := name.NewRepository(o.Repository); err != nil {
			return nil, overrideError("Repository", "", err)
		}
	}
	if err := validateCacheMode(b.CacheMode); err != nil {
		return nil, overrideError("CacheMode", "", err)
	}
	if err := b.resolveTier(f, o); err != nil {
		return nil, err
	}
	if err := b.resolveCache(f, o); err != nil {
		return nil, err
	}
	if err := b.resolveCacheMounts(f, o); err != nil {
		return nil, err
	}
	b.decideWrites()
	b.Release = ReleaseHold{Reason: b.Tier.releaseHold(), Allowed: f.Release.AllowAnyBuild || o.AllowRelease}
	if err := b.resolveTargets(f, o); err != nil {
		return nil, err
	}
	if note := b.releaseNote(); note != "" {
		b.Notes = append(b.Notes, note)
	}
	solve, err := f.resolveDocker(o.Docker, f.base())
	if err != nil {
		return nil, err
	}
	b.Solve = solve
	if err := b.resolveLocal(o.Docker); err != nil {
		return nil, err
	}
	if err := b.resolveAttests(f, o.Attest); err != nil {
		return nil, err
	}
	if err := b.resolveSign(f, o.SignKey); err != nil {
		return nil, err
	}
	b.resolveBuilders(f, f.base())
	return b, nil
}

// ContextDir is the build context Resolve gives with these overrides, so
// a caller can read its git checkout (the branch) before resolving.
func (f *File) ContextDir(o Overrides) string {
	return pick(o.Context, filepath.Join(f.base(), pick(f.Context, DefaultContext)))
}

// base is the directory the file's paths are relative to.
func (f *File) base() string {
	if f.path == "(flags)" {
		return "."
	}
	return filepath.Dir(f.path)
}

func (b *Build) resolveCache(f *File, o Overrides) error {
	ref, err := cacheTemplate(pick(o.CacheRef, f.Cache.Ref))
	if err != nil {
		if o.CacheRef != "" {
			return overrideError("CacheRef", "", err)
		}
		return f.errorAt("cache.ref", "%v", err)
	}
	b.cacheRef = ref
	for _, fb := range f.Cache.Fallback {
		t, _ := cacheTemplate(fb) // validated when the file was parsed
		b.cacheFallbacks = append(b.cacheFallbacks, t)
	}
	if err := b.bakeCaches(o); err != nil {
		return err
	}
	b.cacheVars = map[string]string{"repository": b.Repository, "branch": b.Tier.Tag}
	if b.CacheMode == CacheOff {
		return nil
	}
	if b.Repository == "" && ref.uses("repository") {
		b.Notes = append(b.Notes, "no repository set: stages have no cache refs")
	} else if b.Tier.Tag == "" && ref.uses("branch") {
		b.Notes = append(b.Notes, "the build's branch is unknown (no --branch, no CI branch variable, no branch checked out): stages have no cache ref of their own")
	}
	// Expand once now, so a missing env variable fails here, not mid-build.
	for i, t := range append([]template{ref}, b.cacheFallbacks...) {
		field := "cache.fallback"
		if i == 0 {
			field = "cache.ref"
		}
		if _, err := t.expand(b.vars("stage"), b.env); err != nil {
			return f.errorAt(field, "%v", err)
		}
		if err := b.branchInTag(t); err != nil {
			if i == 0 && o.CacheRef != "" {
				return overrideError("CacheRef", "", err)
			}
			return f.errorAt(field, "%v", err)
		}
	}
	return nil
}

// branchInTag checks that a template naming {branch} puts it in the tag:
// a branch may have capitals, which a repository path may not.
func (b *Build) branchInTag(t template) error {
	if !t.uses("branch") || (b.Repository == "" && t.uses("repository")) {
		return nil
	}
	const probe = "BRANCHPROBE"
	vars := b.vars("stage")
	vars["branch"] = probe
	ref, err := t.expand(vars, b.env)
	if err != nil {
		return err
	}
	if tag, err := name.NewTag(ref); err != nil || !strings.Contains(tag.TagStr(), probe) {
		return fmt.Errorf("%q must put {branch} in the tag (after the last ':')", t.raw)
	}
	return nil
}

func (b *Build) vars(stage string) map[string]string {
	vars := maps.Clone(b.cacheVars)
	vars["stage"] = stage
	return vars
}

// bakeCaches adds a bake target's registry cache-from refs to the
// fallbacks and notes what else it gives.
func (b *Build) bakeCaches(o Overrides) error {
	for _, entry := range o.CacheFrom {
		ref, ok := registryCacheRef(entry)
		if !ok {
			b.Notes = append(b.Notes, "cache-from "+entry+": not imported: cairn imports registry caches")
			continue
		}
		// One ref for the whole build, as buildx imports it: not a template.
		if _, err := name.ParseReference(ref); err != nil {
			return overrideError("CacheFrom", entry, err)
		}
		b.cacheFallbacks = append(b.cacheFallbacks, template{raw: ref, parts: []templatePart{{literal: ref}}})
	}
	for _, entry := range o.CacheTo {
		b.Notes = append(b.Notes, "cache-to "+entry+": not written: cairn writes each stage's cache to its own ref, in the commit")
	}
	return nil
}

// registryCacheRef is the ref of a buildx cache entry of type registry:
// "REF" or "type=registry,ref=REF[,…]".
func registryCacheRef(entry string) (string, bool) {
	if !strings.Contains(entry, "=") {
		return entry, entry != ""
	}
	var typ, ref string
	for _, field := range strings.Split(entry, ",") {
		k, v, _ := strings.Cut(field, "=")
		switch k {
		case "type":
			typ = v
		case "ref":
			ref = v
		}
	}
	return ref, typ == "registry" && ref != ""
}

// CacheRef is the stage's own cache ref: imported, and written by the build.
// It is "" when the cache is off or there is no repository to put it in.
func (b *Build) CacheRef(stage string) string {
	return b.cacheRefFrom(b.cacheRef, stage)
}

// CacheFallbacks are refs the stage imports but never writes.
func (b *Build) CacheFallbacks(stage string) []string {
	var refs []string
	for _, t := range b.cacheFallbacks {
		if ref := b.cacheRefFrom(t, stage); ref != "" {
			refs = append(refs, ref)
		}
	}
	return refs
}

func (b *Build) cacheRefFrom(t template, stage string) string {
	if b.CacheMode == CacheOff || (b.Repository == "" && t.uses("repository")) || (b.Tier.Tag == "" && t.uses("branch")) {
		return ""
	}
	ref, err := t.expand(b.vars(stage), b.env)
	if err != nil {
		return "" // unreachable: Resolve expanded every template once
	}
	return ref
}

// PlanOptions are the planner's options for this build, for the target
// platforms of build.yaml's platforms: or --platform (none: the planner's
// default, linux/amd64). Callers that know the platform that builds use
// PlanOptionsFor.
func (b *Build) PlanOptions() planner.Options {
	return b.PlanOptionsFor(ocispecs.Platform{})
}

// PlanOptionsFor are PlanOptions for a build on buildPlatform: the
// platform of the BuildKit worker for cairn build, the host's for cairn
// plan. It sets BUILDPLATFORM, and is the target platform when build.yaml
// and --platform name none, as it is in BuildKit.
func (b *Build) PlanOptionsFor(buildPlatform ocispecs.Platform) planner.Options {
	return planner.Options{
		Filename:       b.Dockerfile,
		BuildArgs:      b.Args,
		Platforms:      slices.Clone(b.platforms),
		BuildPlatform:  buildPlatform,
		Targets:        b.Targets,
		CacheRef:       b.CacheRef,
		CacheFallbacks: b.CacheFallbacks,
		CacheReadOnly:  !b.Tier.Writes,

		CacheMountsReadOnly: !b.Tier.MountWrites,

		CacheMountRef:       b.CacheMounts.Ref,
		CacheMountFallbacks: b.CacheMounts.Fallbacks,
		CacheMountSkip:      b.CacheMounts.Skip,
	}
}

// parsePlatforms parses validated platform specifiers the way BuildKit
// reads --platform: parsed, then normalized.
func parsePlatforms(specs []string) []ocispecs.Platform {
	var out []ocispecs.Platform
	for _, s := range specs {
		p, err := platforms.Parse(s)
		if err != nil {
			continue // unreachable: Parse and Resolve validated every one
		}
		out = append(out, platforms.Normalize(p))
	}
	return out
}

func (b *Build) resolveTargets(f *File, o Overrides) error {
	selected := f.Targets
	if len(o.Targets) > 0 {
		selected = make(Targets, 0, len(o.Targets))
		for _, name := range o.Targets {
			selected = append(selected, f.target(name))
		}
	}
	if len(selected) == 0 && len(o.Tags) > 0 {
		// No targets named anywhere: the tags are the default target's, as
		// `docker build -t` tags the last stage.
		selected = Targets{{}}
	}
	for _, t := range selected {
		field, templates := "targets."+t.Name+".tags", t.Tags
		if len(o.Tags) > 0 {
			field, templates = "", o.Tags
		}
		if !t.Pushed() {
			templates = nil // a gate is never published, so no tag of it moves
		}
		tags, err := b.resolveTags(t.Name, templates)
		if err != nil {
			if field == "" {
				return overrideError("Tags", "", err)
			}
			return f.errorIn(field, err)
		}
		b.Targets = append(b.Targets, planner.Target{Name: t.Name, Tags: tags, Push: t.Pushed()})
		if t.Checks != nil {
			tc, err := f.resolveChecks(t)
			if err != nil {
				return err
			}
			if b.Checks == nil {
				b.Checks = map[string]TargetChecks{}
			}
			b.Checks[t.Name] = tc
		}
	}
	return nil
}

// target returns the file's target of that name, or a new one with defaults.
func (f *File) target(name string) Target {
	for _, t := range f.Targets {
		if t.Name == name {
			return t
		}
	}
	return Target{Name: name}
}

var tagPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// resolveTags expands tag templates: a bare tag ("latest") goes under the
// repository; anything with ':' or '/' is a full reference. A template
// that cannot name this build ({pr} outside a pull request) is left out,
// and one the build may not move is also listed in Release.Held.
func (b *Build) resolveTags(target string, templates []string) ([]string, error) {
	vars := map[string]string{"repository": b.Repository, "target": target, "branch": b.Tier.Tag, "pr": b.Tier.PR}
	tags := make([]string, 0, len(templates))
	for _, raw := range templates {
		t, err := parseTemplate(raw, tagVars...)
		if err != nil {
			return nil, err
		}
		if why := b.Tier.tagUnknown(t); why != "" {
			b.Notes = append(b.Notes, fmt.Sprintf("tag %q of %s left out: %s", raw, pick(target, "the last stage"), why))
			continue
		}
		tag, err := t.expand(vars, b.env)
		if err != nil {
			return nil, err
		}
		if !strings.ContainsAny(tag, ":/") {
			if !tagPattern.MatchString(tag) {
				return nil, fmt.Errorf("%q is not a valid tag", tag)
			}
			if b.Repository == "" {
				return nil, NeedsRepository(fmt.Errorf("tag %q needs a repository", tag))
			}
			tag = b.Repository + ":" + tag
		}
		if _, err := name.NewTag(tag); err != nil {
			return nil, fmt.Errorf("tag %q: %w", tag, err)
		}
		if r := &b.Release; r.Reason != "" && !r.Allowed && !b.Tier.ownsTag(t) {
			r.Held = append(r.Held, tag)
		}
		tags = append(tags, tag)
	}
	return tags, nil
}

func pick(first, second string) string {
	if first != "" {
		return first
	}
	return second
}
