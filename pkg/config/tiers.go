package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// Cache write modes (cache.write, --cache-write): which builds write their
// cache refs and cache mount snapshots.
const (
	// CacheWriteAuto writes the build's own tier, except from a pull request
	// build (as the CI reports it), which only reads.
	CacheWriteAuto = "auto"
	// CacheWriteBranch writes the build's own tier, pull requests too.
	CacheWriteBranch = "branch"
	// CacheWriteNone reads the cache and writes none of it.
	CacheWriteNone = "none"
)

// maxBranchTag is the longest {branch} a tag gets: room is left for the
// rest of the tag ("cache-", the stage or mount).
const maxBranchTag = 48

// BranchTag makes a branch name a tag component, the value of {branch}:
// a leading "refs/heads/" is dropped, every character but [A-Za-z0-9_.-]
// becomes '-' ("feature/login" → "feature-login"), a leading '.' or '-'
// becomes '_', and a result longer than 48 characters keeps its first 39,
// then '-' and 8 hex digits of the branch's SHA-256. Branches that differ
// only in the replaced characters share a tier; cache.protected guards the
// protected tiers against such look-alikes. "" stays "".
func BranchTag(branch string) string {
	return tagComponent(strings.TrimPrefix(branch, "refs/heads/"), maxBranchTag)
}

// PullRequestTag makes a pull request's number (CI.PullRequestID) a tag
// component, the value of {pr}, as BranchTag does a branch but up to a
// whole tag's 128 characters. "" stays "".
func PullRequestTag(id string) string {
	return tagComponent(id, maxTag)
}

func tagComponent(s string, limit int) string {
	if s == "" {
		return ""
	}
	out := sanitizeTag(s, false)
	if len(out) <= limit {
		return out
	}
	sum := sha256.Sum256([]byte(s))
	return out[:limit-9] + "-" + hex.EncodeToString(sum[:4])
}

// sanitizeTag maps every character as BranchTag does; with glob, '*' is
// kept as a wildcard.
func sanitizeTag(s string, glob bool) string {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r < 128 && (r == '_' || r == '.' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'):
			out = append(out, byte(r))
		case glob && r == '*':
			out = append(out, '*')
		default:
			out = append(out, '-')
		}
	}
	if len(out) > 0 && (out[0] == '.' || out[0] == '-') {
		out[0] = '_'
	}
	return string(out)
}

// CacheTier is the build's place among the cache tiers: the branch its
// templates name with {branch}, whether the CI says it builds a pull
// request, and whether it writes its cache (see Writes).
type CacheTier struct {
	Branch string // the build's branch; "" when unknown
	// From says where Branch was read: "--branch", a CI variable
	// ("GITHUB_HEAD_REF"), or "git checkout".
	From string
	Tag  string // Branch made a tag component: the value of {branch}
	// PullRequest is what reported a pull request build, as "NAME=value"
	// ("GITHUB_EVENT_NAME=pull_request"); "" when it is not one.
	PullRequest string
	// PR is the pull request's number made a tag component: the value of
	// {pr}; "" when the build is not of one or the CI gives no number.
	PR    string
	Write string // auto, branch or none: --cache-write, else cache.write, else auto
	// Writes reports whether a publish writes the stages' cache refs; when
	// it does not, they are only read, and Reason says why. MountWrites and
	// MountReason say the same of the cache mount snapshots: each kind is
	// decided by its own template (cache.ref, cache.mounts.ref).
	Writes      bool
	Reason      string
	MountWrites bool
	MountReason string
	// Protected are cache.protected: branches whose tier only builds of
	// that branch write ('*' matches any run of characters).
	Protected []string
	writeFrom string // "--cache-write=" or "cache.write: ", for Reason
}

// Protects returns the cache.protected entry that protects a tier (a
// {branch} value), if any. An entry protects the tier of every branch that
// matches it, and every tier a look-alike branch could reach: "release/*"
// protects "release-1" too, whichever branch wrote it.
func (t CacheTier) Protects(tier string) (string, bool) {
	if ps := t.protectors(tier); len(ps) > 0 {
		return ps[0], true
	}
	return "", false
}

// protectors are the cache.protected entries that protect a tier.
func (t CacheTier) protectors(tier string) []string {
	var out []string
	for _, p := range t.Protected {
		exact := !strings.Contains(p, "*") && BranchTag(p) == tier
		if exact || strings.Contains(p, "*") && globMatch(sanitizeTag(strings.TrimPrefix(p, "refs/heads/"), true), tier) {
			out = append(out, p)
		}
	}
	return out
}

// ownsProtected reports whether the build is of a branch that entry p
// protects: never a pull request build, whose head branch may carry any
// name.
func (t CacheTier) ownsProtected(p string) bool {
	branch := strings.TrimPrefix(t.Branch, "refs/heads/")
	return t.PullRequest == "" && branch != "" && globMatch(strings.TrimPrefix(p, "refs/heads/"), branch)
}

// globMatch matches s against a pattern whose '*' matches any run of
// characters, '/' included.
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}

func validateCacheWrite(mode string) error {
	switch mode {
	case "", CacheWriteAuto, CacheWriteBranch, CacheWriteNone:
		return nil
	}
	return fmt.Errorf("unknown cache write mode %q: want %s, %s or %s", mode, CacheWriteAuto, CacheWriteBranch, CacheWriteNone)
}

// validateTiers checks cache.write and cache.protected.
func (f *File) validateTiers() error {
	if err := validateCacheWrite(f.Cache.Write); err != nil {
		return f.errorAt("cache.write", "%v", err)
	}
	for i, p := range f.Cache.Protected {
		if strings.TrimSpace(p) == "" || strings.Trim(p, "*") == "" {
			return f.errorAt(fmt.Sprintf("cache.protected[%d]", i), "%q names no branch", p)
		}
	}
	return nil
}

// resolveTier finds the build's branch (--branch, else the CI's variables,
// else the git checkout's) and whether it is a pull request. Whether it
// writes is decided once the templates are known (decideWrites).
func (b *Build) resolveTier(f *File, o Overrides) error {
	if err := validateCacheWrite(o.CacheWrite); err != nil {
		return overrideError("CacheWrite", "", err)
	}
	ci := DetectCI(b.env)
	t := CacheTier{Write: pick(o.CacheWrite, pick(f.Cache.Write, CacheWriteAuto)), PullRequest: ci.PullRequest, PR: PullRequestTag(ci.PullRequestID), Protected: f.Cache.Protected, writeFrom: "cache.write: "}
	if o.CacheWrite != "" {
		t.writeFrom = "--cache-write="
	}
	switch {
	case o.Branch != "":
		t.Branch, t.From = o.Branch, "--branch"
	case ci.Branch != "":
		t.Branch, t.From = ci.Branch, ci.BranchVar
	case o.CheckoutBranch != "":
		t.Branch, t.From = o.CheckoutBranch, "git checkout"
	}
	t.Tag = BranchTag(t.Branch)
	b.Tier = t
	return nil
}

// decideWrites sets Tier.Writes and MountWrites: the write mode, a pull
// request and the protected tiers each may make the build read-only.
func (b *Build) decideWrites() {
	t := &b.Tier
	t.Writes, t.Reason = t.writes(b.cacheRef)
	t.MountWrites, t.MountReason = t.writes(b.CacheMounts.ref.t)
	stages := b.CacheMode != CacheOff && (b.Repository != "" || !b.cacheRef.uses("repository"))
	if t.Tag != "" && (b.cacheRef.uses("branch") || b.CacheMounts.ref.t.uses("branch")) {
		b.Notes = append(b.Notes, fmt.Sprintf("cache tier %s: branch %s (from %s)", t.Tag, t.Branch, t.From))
	}
	if stages && !t.Writes {
		b.Notes = append(b.Notes, "cache is read-only: "+t.Reason)
	}
}

// writes decides whether the refs of a template are written, and says why
// not. A template without {branch} makes refs every branch shares: with
// cache.protected set, only the protected branches' builds write them.
func (t CacheTier) writes(ref template) (bool, string) {
	tiered := ref.uses("branch")
	switch {
	case t.Write == CacheWriteNone:
		return false, fmt.Sprintf("cache writes are off (%s%s)", t.writeFrom, t.Write)
	case t.Write == CacheWriteAuto && t.PullRequest != "":
		return false, fmt.Sprintf("a pull request build (%s) reads the cache and writes none (--cache-write=branch writes its own tier)", t.PullRequest)
	case tiered && t.Tag == "":
		return false, "the build's branch is unknown (pass --branch): it has no tier to write"
	case tiered:
		ps := t.protectors(t.Tag)
		if len(ps) > 0 && !slices.ContainsFunc(ps, t.ownsProtected) {
			return false, fmt.Sprintf("tier %s is protected (cache.protected %q): only builds of %s write it, never a pull request build", t.Tag, ps[0], strings.Join(ps, ", "))
		}
	case len(t.Protected) > 0:
		if slices.ContainsFunc(t.Protected, t.ownsProtected) {
			return true, ""
		}
		return false, fmt.Sprintf("%q has no {branch}: every branch shares its refs, and cache.protected lets only builds of %s write them",
			ref.raw, strings.Join(t.Protected, ", "))
	}
	return true, ""
}
