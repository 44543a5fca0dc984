package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"gopkg.in/yaml.v3"
)

// Cache mount modes: whether the directories of RUN --mount=type=cache
// travel between runners in registry snapshots.
const (
	CacheMountsAuto = "auto" // carry every mount BuildKit keys by its ID alone
	CacheMountsOff  = "off"
)

// Defaults of cache.mounts.
const (
	// DefaultCacheMountRef names a mount's snapshot; {mount} is its cache ID
	// made a tag component (see CacheMountPolicy.Ref).
	DefaultCacheMountRef = "{repository}:cache-mount-{mount}"
	// DefaultCacheMountMaxSize caps a snapshot (decimal units: 2GB = 2×10⁹ bytes).
	DefaultCacheMountMaxSize = "2GB"
)

// CacheMounts is cache.mounts, written `auto`, `off` or as a mapping.
type CacheMounts struct {
	Mode     string   `yaml:"mode"`
	Ref      string   `yaml:"ref"`
	Fallback []string `yaml:"fallback"` // refs restored from when Ref is missing
	// MaxSize caps a snapshot: 500MB, 2GB, 1.5GiB, a byte count; 0 = no cap.
	MaxSize string `yaml:"maxSize"`
	// Include and Exclude are cache IDs as written in the Dockerfile (id=
	// or the target, e.g. /root/.cache/go-build) or path.Match globs
	// (* does not cross /). An empty Include includes every ID.
	Include []string `yaml:"include"`
	Exclude []string `yaml:"exclude"`
}

var cacheMountsType = reflect.TypeOf(CacheMounts{})

// mountVars may be named in mount refs: {stage} does not apply, a mount's
// directory is shared by every stage that mounts it.
var mountVars = []string{"repository", "mount", "branch"}

// maxTag is the longest tag a reference may have.
const maxTag = 128

// decodeCacheMounts accepts the scalar shorthand `mounts: off`.
func (d *decoder) decodeCacheMounts(node *yaml.Node, path string, v reflect.Value) error {
	switch node.Kind {
	case yaml.ScalarNode:
		v.Addr().Interface().(*CacheMounts).Mode = node.Value
		return nil
	case yaml.MappingNode:
		return d.decodeStruct(node, path, v)
	}
	return d.wrongKind(node, path, "auto, off or a mapping")
}

// validateCacheMounts checks cache.mounts as far as the file alone allows.
func (f *File) validateCacheMounts() error {
	m := f.Cache.Mounts
	modeField := "cache.mounts"
	if _, ok := f.lines["cache.mounts.mode"]; ok {
		modeField = "cache.mounts.mode"
	}
	if err := validateMountMode(m.Mode); err != nil {
		return f.errorAt(modeField, "%v", err)
	}
	if _, err := mountTemplate(pick(m.Ref, DefaultCacheMountRef)); err != nil {
		return f.errorAt("cache.mounts.ref", "%v", err)
	}
	for i, fb := range m.Fallback {
		if _, err := mountTemplate(fb); err != nil {
			return f.errorAt(fmt.Sprintf("cache.mounts.fallback[%d]", i), "%v", err)
		}
	}
	if _, err := parseSize(pick(m.MaxSize, DefaultCacheMountMaxSize)); err != nil {
		return f.errorAt("cache.mounts.maxSize", "%v", err)
	}
	for field, patterns := range map[string][]string{"include": m.Include, "exclude": m.Exclude} {
		for i, p := range patterns {
			if _, err := path.Match(p, ""); err != nil || p == "" {
				return f.errorAt(fmt.Sprintf("cache.mounts.%s[%d]", field, i), "%q is not a cache ID or glob", p)
			}
		}
	}
	return nil
}

func validateMountMode(mode string) error {
	switch mode {
	case "", CacheMountsAuto, CacheMountsOff:
		return nil
	}
	return fmt.Errorf("unknown cache mounts mode %q: want %s or %s", mode, CacheMountsAuto, CacheMountsOff)
}

// mountTemplate parses a mount ref template; each mount needs its own ref.
func mountTemplate(s string) (template, error) {
	return refTemplate(s, "mount", "every cache mount needs its own snapshot", mountVars)
}

// CacheMountPolicy is the resolved cache.mounts: which cache mounts travel
// between runners, and in which snapshot refs. IDs are BuildKit's, as the
// planner reports them (CacheMount.ID).
type CacheMountPolicy struct {
	Mode    string // auto or off: --cache-mounts, else cache.mounts, else off when cache.mode is off
	MaxSize int64  // bytes a snapshot may hold; 0 = no cap
	Include []string
	Exclude []string

	offReason  string
	namespace  string // BUILDKIT_CACHE_MOUNT_NS
	repository string
	branch     string // the value of {branch}; "" when unknown
	ref        mountRef
	fallbacks  []mountRef
	env        func(string) (string, bool)
}

// mountRef is a mount ref template and the room its tag leaves for {mount}.
type mountRef struct {
	t    template
	room int // characters for each {mount}
}

// resolveCacheMounts builds the policy from the file and the flags.
func (b *Build) resolveCacheMounts(f *File, o Overrides) error {
	m := f.Cache.Mounts
	if err := validateMountMode(o.CacheMounts); err != nil {
		return overrideError("CacheMounts", "", err)
	}
	p := CacheMountPolicy{
		Mode:       pick(o.CacheMounts, m.Mode),
		Include:    m.Include,
		Exclude:    m.Exclude,
		namespace:  b.Args["BUILDKIT_CACHE_MOUNT_NS"],
		repository: b.Repository,
		branch:     b.Tier.Tag,
		env:        b.env,
	}
	switch {
	case p.Mode == "" && b.CacheMode == CacheOff:
		p.Mode, p.offReason = CacheMountsOff, "the cache is off (cache.mode)"
	case p.Mode == "":
		p.Mode = CacheMountsAuto
	case p.Mode == CacheMountsOff && o.CacheMounts != "":
		p.offReason = "cache mounts are off (--cache-mounts)"
	case p.Mode == CacheMountsOff:
		p.offReason = "cache mounts are off (cache.mounts)"
	}
	p.MaxSize, _ = parseSize(pick(m.MaxSize, DefaultCacheMountMaxSize)) // validated by Parse
	var err error
	if p.ref, err = p.mountRef(pick(m.Ref, DefaultCacheMountRef)); err != nil {
		return f.errorAt("cache.mounts.ref", "%v", err)
	}
	for i, raw := range m.Fallback {
		r, err := p.mountRef(raw)
		if err != nil {
			return f.errorAt(fmt.Sprintf("cache.mounts.fallback[%d]", i), "%v", err)
		}
		p.fallbacks = append(p.fallbacks, r)
	}
	if p.Mode == CacheMountsAuto && p.repository == "" && p.ref.t.uses("repository") {
		// One note for one cause: extend resolveCache's, if it made one.
		if i := slices.Index(b.Notes, "no repository set: stages have no cache refs"); i >= 0 {
			b.Notes[i] += " and cache mounts are not carried"
		} else {
			b.Notes = append(b.Notes, "no repository set: cache mounts are not carried")
		}
	}
	b.CacheMounts = p
	return nil
}

// mountRef parses a template and checks, with this build's repository and
// env, that {mount} lands in the tag and leaves it room.
func (p *CacheMountPolicy) mountRef(raw string) (mountRef, error) {
	t, err := mountTemplate(raw)
	if err != nil || (p.repository == "" && t.uses("repository")) {
		return mountRef{t: t}, err // without a repository it is never expanded
	}
	const probe = "MOUNTPROBE"
	ref, err := t.expand(map[string]string{"repository": p.repository, "mount": probe, "branch": pick(p.branch, "BRANCH")}, p.env)
	if err != nil {
		return mountRef{}, err
	}
	tag, err := name.NewTag(ref)
	if err != nil || !strings.Contains(tag.TagStr(), probe) {
		return mountRef{}, fmt.Errorf("%q must put {mount} in the tag (after the last ':'), which must make a valid reference", raw)
	}
	uses := strings.Count(tag.TagStr(), probe)
	room := (maxTag - (len(tag.TagStr()) - uses*len(probe))) / uses
	if room < 24 {
		return mountRef{}, fmt.Errorf("%q leaves {mount} %d characters of the %d a tag may have: want 24 at least", raw, max(room, 0), maxTag)
	}
	return mountRef{t: t, room: room}, nil
}

// Skip says why the policy does not carry a cache ID, or "".
func (p CacheMountPolicy) Skip(id string) string {
	if p.Mode == CacheMountsOff {
		return p.offReason
	}
	if p.repository == "" && p.ref.t.uses("repository") {
		return "no repository for its snapshot"
	}
	if p.branch == "" && p.ref.t.uses("branch") {
		return "the build's branch is unknown (pass --branch): no snapshot ref"
	}
	key := p.key(id)
	for _, pat := range p.Exclude {
		if ok, _ := path.Match(pat, key); ok {
			return fmt.Sprintf("excluded by cache.mounts.exclude %q", pat)
		}
	}
	if len(p.Include) > 0 && !p.Included(id) {
		return "not in cache.mounts.include"
	}
	return ""
}

// Included reports whether an Include pattern matches the ID (false when
// there are none).
func (p CacheMountPolicy) Included(id string) bool {
	key := p.key(id)
	for _, pat := range p.Include {
		if ok, _ := path.Match(pat, key); ok {
			return true
		}
	}
	return false
}

// key is the ID as written in the Dockerfile: BuildKit's without the
// namespace prefix ("//root/.cache" → "/root/.cache", "/gomod" → "gomod").
func (p CacheMountPolicy) key(id string) string {
	return strings.TrimPrefix(id, p.namespace+"/")
}

// Ref is the snapshot ref of a cache ID, "" when the policy skips it.
//
// {mount} is the ID made a tag component: leading slashes dropped, each run
// of slashes turned into one '-', any character but [A-Za-z0-9_.-] into
// '_', and a leading '.' or '-' prefixed with '_' ("//root/.cache/go-build"
// → "root-.cache-go-build"). When a character had to be replaced, or the
// tag would pass 128 characters, the component is cut to fit and ends in
// '-' and 8 hex digits of the ID's SHA-256. IDs that differ only in '-'
// versus '/' or in repeated slashes share a component; the planner does
// not carry the mounts of a build whose IDs meet in one ref.
func (p CacheMountPolicy) Ref(id string) string {
	if p.Skip(id) != "" {
		return ""
	}
	return p.expand(p.ref, id)
}

// Fallbacks are the refs a cache ID's snapshot is restored from when Ref
// has none.
func (p CacheMountPolicy) Fallbacks(id string) []string {
	if p.Skip(id) != "" {
		return nil
	}
	refs := make([]string, 0, len(p.fallbacks))
	for _, r := range p.fallbacks {
		if p.branch == "" && r.t.uses("branch") {
			continue
		}
		refs = append(refs, p.expand(r, id))
	}
	return refs
}

func (p CacheMountPolicy) expand(r mountRef, id string) string {
	ref, err := r.t.expand(map[string]string{"repository": p.repository, "mount": mountSlug(id, r.room), "branch": p.branch}, p.env)
	if err != nil {
		return "" // unreachable: Resolve expanded every template once
	}
	return ref
}

// mountSlug makes id a tag component of at most room characters (room is
// at least 24); see CacheMountPolicy.Ref.
func mountSlug(id string, room int) string {
	var b strings.Builder
	lossy, slash := false, false
	for _, r := range strings.TrimLeft(id, "/") {
		switch {
		case r == '/':
			if !slash {
				b.WriteByte('-')
			}
			slash = true
			continue
		case r < 128 && (r == '_' || r == '.' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
			lossy = true
		}
		slash = false
	}
	s := b.String()
	if s == "" || s[0] == '.' || s[0] == '-' {
		s, lossy = "_"+s, true
	}
	if !lossy && len(s) <= room {
		return s
	}
	sum := sha256.Sum256([]byte(id))
	return s[:min(len(s), room-9)] + "-" + hex.EncodeToString(sum[:4])
}

var sizeNumber = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// parseSize reads a byte size: a number with an optional unit, B, kB, MB,
// GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024), in any
// case.
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		scale  float64
	}{
		{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
		{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12}, {"b", 1},
	}
	num, scale := strings.TrimSpace(strings.ToLower(s)), 1.0
	for _, u := range units {
		if rest, ok := strings.CutSuffix(num, u.suffix); ok {
			num, scale = strings.TrimSpace(rest), u.scale
			break
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || !sizeNumber.MatchString(num) || v*scale > 1<<62 {
		return 0, fmt.Errorf("%q is not a size: want e.g. 500MB, 2GB, 1.5GiB or a byte count", s)
	}
	return int64(v * scale), nil
}
