package config

import (
	"fmt"
	"slices"
	"strings"
)

// Release is build.yaml's release: which builds may move the targets'
// final tags.
type Release struct {
	// AllowAnyBuild lets a pull request build, and a build of a branch
	// cache.protected does not list, move every final tag, as any build may
	// when nothing is protected.
	AllowAnyBuild bool `yaml:"allowAnyBuild"`
}

// ReleaseHold says which final tags the build may move. A pull request
// build, and with cache.protected set a build of any other branch, moves
// only tags of its own: those whose template names {pr}, or {branch}
// when no cache.protected entry protects that branch's tier (a fork's
// main cannot claim main's tags). Cache tags follow the cache tiers.
type ReleaseHold struct {
	// Reason says why the build moves only tags of its own: "a pull request
	// build (GITHUB_EVENT_NAME=pull_request)"; "" when it may move any.
	Reason string
	// Allowed: release.allowAnyBuild or Overrides.AllowRelease lifts the
	// hold; the build moves every final tag on purpose.
	Allowed bool
	// Held are the final tags the build may not move: a publish fails
	// before anything is built when there is any.
	Held []string
}

// Err is nil when a publish may move every final tag of the build, and a
// *HeldTagsError naming the held ones otherwise.
func (r ReleaseHold) Err() error {
	if len(r.Held) == 0 {
		return nil
	}
	return &HeldTagsError{Reason: r.Reason, Tags: slices.Clone(r.Held)}
}

// HeldTagsError is the error of a publish that would move final tags the
// build may not (ReleaseHold).
type HeldTagsError struct {
	Reason string
	Tags   []string
}

func (e *HeldTagsError) Error() string {
	return fmt.Sprintf("final tags held: %s moves only final tags of its own (tag templates naming {pr} or {branch}), not %s; "+
		"to publish them from such a build on purpose, set release.allowAnyBuild: true in build.yaml",
		e.Reason, strings.Join(e.Tags, ", "))
}

// releaseHold is ReleaseHold.Reason for the build's tier.
func (t CacheTier) releaseHold() string {
	switch {
	case t.PullRequest != "":
		return fmt.Sprintf("a pull request build (%s)", t.PullRequest)
	case len(t.Protected) == 0 || slices.ContainsFunc(t.Protected, t.ownsProtected):
		return ""
	case t.Branch == "":
		return fmt.Sprintf("a build of an unknown branch (cache.protected: %s)", strings.Join(t.Protected, ", "))
	}
	return fmt.Sprintf("a build of unprotected branch %s (cache.protected: %s)", t.Branch, strings.Join(t.Protected, ", "))
}

// ownsTag reports whether a tag template names this build alone: its pull
// request, or its branch when that branch's tier is not protected.
func (t CacheTier) ownsTag(tmpl template) bool {
	if tmpl.uses("pr") && t.PR != "" {
		return true
	}
	if tmpl.uses("branch") && t.Tag != "" {
		_, protected := t.Protects(t.Tag)
		return !protected
	}
	return false
}

// tagUnknown says why a tag template cannot name this build: {pr} outside
// a pull request build (or one the CI gives no number), {branch} when the
// branch is unknown; "" when it can.
func (t CacheTier) tagUnknown(tmpl template) string {
	switch {
	case tmpl.uses("pr") && t.PR == "" && t.PullRequest == "":
		return "{pr}: not a pull request build"
	case tmpl.uses("pr") && t.PR == "":
		return fmt.Sprintf("{pr}: the CI gives no pull request number (%s)", t.PullRequest)
	case tmpl.uses("branch") && t.Tag == "":
		return "{branch}: the build's branch is unknown"
	}
	return ""
}

// releaseNote says, for plan and dry runs, which final tags the build may
// move; "" when nothing holds them.
func (b *Build) releaseNote() string {
	r := b.Release
	switch {
	case r.Reason == "":
		return ""
	case r.Allowed:
		return "final tags: " + r.Reason + " moves every final tag, allowed on purpose"
	case len(r.Held) > 0:
		return fmt.Sprintf("final tags held: %s moves only tags of its own ({pr}, {branch}); a publish fails for %s",
			r.Reason, strings.Join(r.Held, ", "))
	}
	return ""
}
