package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// StampStage is what {stage} is in the ref of a tier's stamp, the tag a
// publish moves with the tier's caches to record when it wrote them.
// Dockerfile stage names start with a letter or digit, so no stage's
// cache ref can be a stamp.
const StampStage = "_tier"

// TierStamp is the ref of the build's tier stamp: cache.ref with {stage}
// StampStage ("reg/app:cache-main-_tier"). It is "" unless a publish
// writes the tier and cache.ref names {branch}.
func (b *Build) TierStamp() string {
	if !b.Tier.Writes || !b.cacheRef.uses("branch") {
		return ""
	}
	return b.CacheRef(StampStage)
}

// TierPattern recognizes the tags one cache template that names {branch}
// makes, to tell the tier of a tag found in the registry.
type TierPattern struct {
	Repository string // the repository its tags are in
	Field      string // cache.ref or cache.mounts.ref
	slot       string // stage or mount
	parts      []templatePart
	known      []string // values of the slot the build knows, stamp included
}

// TierMatch is one way a tag splits into a tier and a slot value.
type TierMatch struct {
	Tier  string // the {branch} value
	Stamp bool   // the tag is the tier's stamp
}

// TierPatterns are the patterns of cache.ref and cache.mounts.ref, for
// those that name {branch}, whatever the cache mode. stages and mountIDs
// are the values of {stage} and the cache IDs of {mount} the build knows:
// a tag splits into tier and stage at a known value when it can.
func (b *Build) TierPatterns(stages, mountIDs []string) ([]TierPattern, error) {
	var out []TierPattern
	if b.cacheRef.uses("branch") {
		p, err := b.tierPattern(b.cacheRef, "cache.ref", "stage", append(slices.Clone(stages), StampStage))
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	m := b.CacheMounts
	if m.ref.t.uses("branch") {
		slugs := make([]string, 0, len(mountIDs))
		for _, id := range mountIDs {
			slugs = append(slugs, mountSlug(id, m.ref.room))
		}
		p, err := b.tierPattern(m.ref.t, "cache.mounts.ref", "mount", slugs)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// tierPattern expands every variable but {branch} and the slot, and keeps
// the tag's parts.
func (b *Build) tierPattern(t template, field, slot string, known []string) (TierPattern, error) {
	if b.Repository == "" && t.uses("repository") {
		return TierPattern{}, NeedsRepository(fmt.Errorf("%s: no repository set", field))
	}
	const branchProbe, slotProbe = "BRANCHPROBE", "SLOTPROBE"
	ref, err := t.expand(map[string]string{"repository": b.Repository, "branch": branchProbe, slot: slotProbe}, b.env)
	if err != nil {
		return TierPattern{}, fmt.Errorf("%s: %w", field, err)
	}
	tag, err := name.NewTag(ref)
	if err != nil || strings.Contains(tag.Context().Name(), "PROBE") {
		return TierPattern{}, fmt.Errorf("%s: %q must put {branch} and {%s} in the tag (after the last ':')", field, t.raw, slot)
	}
	p := TierPattern{Repository: tag.Context().Name(), Field: field, slot: slot, known: known}
	rest := tag.TagStr()
	for rest != "" {
		bi, si := strings.Index(rest, branchProbe), strings.Index(rest, slotProbe)
		switch {
		case bi < 0 && si < 0:
			p.parts, rest = append(p.parts, templatePart{literal: rest}), ""
		case si < 0 || (bi >= 0 && bi < si):
			p.parts = appendLiteral(p.parts, rest[:bi])
			p.parts, rest = append(p.parts, templatePart{variable: "branch"}), rest[bi+len(branchProbe):]
		default:
			p.parts = appendLiteral(p.parts, rest[:si])
			p.parts, rest = append(p.parts, templatePart{variable: slot}), rest[si+len(slotProbe):]
		}
	}
	return p, nil
}

func appendLiteral(parts []templatePart, s string) []templatePart {
	if s == "" {
		return parts
	}
	return append(parts, templatePart{literal: s})
}

// Match lists the tiers tag may belong to. A tag such as
// "cache-feature-x-deps" splits more than one way (tier "feature-x", stage
// "deps"; or tier "feature", stage "x-deps"): only the splits at a known
// stage or mount are kept when there are any (known is then true), else
// every split. Callers treat a tag as a tier's only when every match
// agrees.
func (p TierPattern) Match(tag string) (matches []TierMatch, known bool) {
	var all, knownSplits []TierMatch
	p.match(tag, 0, map[string]string{}, func(v map[string]string) {
		m := TierMatch{Tier: v["branch"], Stamp: p.slot == "stage" && v["stage"] == StampStage}
		if !slices.Contains(all, m) {
			all = append(all, m)
		}
		if slices.Contains(p.known, v[p.slot]) && !slices.Contains(knownSplits, m) {
			knownSplits = append(knownSplits, m)
		}
	})
	if len(knownSplits) > 0 {
		return knownSplits, true
	}
	return all, false
}

// match tries every split of s over parts[i:]; a variable takes at least
// one character, and the same value wherever it appears.
func (p TierPattern) match(s string, i int, vars map[string]string, found func(map[string]string)) {
	if i == len(p.parts) {
		if s == "" {
			found(vars)
		}
		return
	}
	part := p.parts[i]
	if part.variable == "" {
		if rest, ok := strings.CutPrefix(s, part.literal); ok {
			p.match(rest, i+1, vars, found)
		}
		return
	}
	if v, ok := vars[part.variable]; ok {
		if rest, ok := strings.CutPrefix(s, v); ok {
			p.match(rest, i+1, vars, found)
		}
		return
	}
	for n := 1; n <= len(s); n++ {
		v := s[:n]
		if part.variable == "branch" && sanitizeTag(v, false) != v {
			break // a {branch} value is a sanitized branch: it cannot hold this character
		}
		vars[part.variable] = v
		p.match(s[n:], i+1, vars, found)
		delete(vars, part.variable)
	}
}
