package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestPullRequestTag(t *testing.T) {
	tests := []struct{ id, want string }{
		{"12", "12"},
		{"", ""},
		{"PR-12", "PR-12"}, // capitals are valid in a tag
		{"12/merge", "12-merge"},
		{"-12", "_12"},
		{".12", "_12"},
		{"a b#1", "a-b-1"},
		{"ü", "_"},
	}
	for _, tt := range tests {
		if got := PullRequestTag(tt.id); got != tt.want {
			t.Errorf("PullRequestTag(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
	long := strings.Repeat("9", 200)
	got := PullRequestTag(long)
	if len(got) != maxTag || !tagPattern.MatchString(got) || got == PullRequestTag(long+"9") {
		t.Errorf("PullRequestTag(200 digits) = %q (%d chars), want a distinct tag of %d", got, len(got), maxTag)
	}
}

// TestReleaseHold: a pull request build, and with cache.protected a build
// of any other branch, moves only final tags naming its pull request or
// unprotected branch, unless release.allowAnyBuild or the override lifts
// the hold; cache writes are not its business.
func TestReleaseHold(t *testing.T) {
	const protected = "version: 1\nrepository: reg.example.com/app\ncache:\n  ref: \"{repository}:cache-{branch}-{stage}\"\n  protected: [main, \"release/*\"]\n"
	const open = "version: 1\nrepository: reg.example.com/app\n"
	pr := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_HEAD_REF": "feat/x", "GITHUB_REF": "refs/pull/12/merge"}
	targets := func(tags ...string) string {
		return "targets:\n  app:\n    tags: [\"" + strings.Join(tags, "\", \"") + "\"]\n"
	}
	tests := []struct {
		name   string
		yaml   string
		env    map[string]string
		o      Overrides
		tags   []string // the app target's tags
		held   []string
		reason string // part of Reason; "" for none
	}{
		{name: "main moves its release tags", yaml: protected + targets("latest", "v1"), env: ghPush,
			tags: []string{"reg.example.com/app:latest", "reg.example.com/app:v1"}},
		{name: "no protection, no CI: any build moves them", yaml: open + targets("latest"), o: Overrides{Branch: "topic"},
			tags: []string{"reg.example.com/app:latest"}},
		{name: "a pull request holds latest", yaml: open + targets("latest", "v1"), env: pr,
			tags: []string{"reg.example.com/app:latest", "reg.example.com/app:v1"}, held: []string{"reg.example.com/app:latest", "reg.example.com/app:v1"},
			reason: "a pull request build (GITHUB_EVENT_NAME=pull_request)"},
		{name: "a pull request moves its own {pr} tag", yaml: protected + targets("pr-{pr}"), env: pr,
			tags: []string{"reg.example.com/app:pr-12"}, reason: "pull request"},
		{name: "a pull request moves its own {branch} tag", yaml: protected + targets("{branch}-{target}"), env: pr,
			tags: []string{"reg.example.com/app:feat-x-app"}, reason: "pull request"},
		{name: "mixed tags: the others are held", yaml: protected + targets("pr-{pr}", "latest"), env: pr,
			tags: []string{"reg.example.com/app:pr-12", "reg.example.com/app:latest"}, held: []string{"reg.example.com/app:latest"}, reason: "pull request"},
		{name: "a fork's main cannot claim main's {branch} tag", yaml: protected + targets("{branch}"), env: with(pr, "GITHUB_HEAD_REF", "main"),
			tags: []string{"reg.example.com/app:main"}, held: []string{"reg.example.com/app:main"}, reason: "pull request"},
		{name: "pull_request_target has no number: {pr} left out", yaml: protected + targets("pr-{pr}"), env: with(pr, "GITHUB_EVENT_NAME", "pull_request_target", "GITHUB_REF", "refs/heads/main"),
			tags: []string{}, reason: "pull request"},
		{name: "{pr} is left out of a branch build", yaml: protected + targets("latest", "pr-{pr}"), env: ghPush,
			tags: []string{"reg.example.com/app:latest"}},
		{name: "an unprotected branch holds latest", yaml: protected + targets("latest", "{branch}"), o: Overrides{Branch: "topic"},
			tags: []string{"reg.example.com/app:latest", "reg.example.com/app:topic"}, held: []string{"reg.example.com/app:latest"},
			reason: "a build of unprotected branch topic (cache.protected: main, release/*)"},
		{name: "a protected glob's branch moves them", yaml: protected + targets("latest"), o: Overrides{Branch: "release/2"},
			tags: []string{"reg.example.com/app:latest"}},
		{name: "a look-alike branch neither", yaml: protected + targets("latest", "{branch}"), o: Overrides{Branch: "release-2"},
			tags: []string{"reg.example.com/app:latest", "reg.example.com/app:release-2"}, held: []string{"reg.example.com/app:latest", "reg.example.com/app:release-2"},
			reason: "unprotected branch release-2"},
		{name: "an unknown branch with protection holds them, {branch} left out", yaml: protected + targets("latest", "b-{branch}"),
			tags: []string{"reg.example.com/app:latest"}, held: []string{"reg.example.com/app:latest"}, reason: "unknown branch"},
		{name: "release.allowAnyBuild lifts the hold", yaml: open + "release: {allowAnyBuild: true}\n" + targets("latest"), env: pr,
			tags: []string{"reg.example.com/app:latest"}, reason: "pull request"},
		{name: "so does the override", yaml: protected + targets("latest"), env: pr, o: Overrides{AllowRelease: true},
			tags: []string{"reg.example.com/app:latest"}, reason: "pull request"},
		{name: "-t is held like build.yaml's tags", yaml: open + targets("pr-{pr}"), env: pr, o: Overrides{Tags: []string{"latest", "pr{pr}"}},
			tags: []string{"reg.example.com/app:latest", "reg.example.com/app:pr12"}, held: []string{"reg.example.com/app:latest"}, reason: "pull request"},
		{name: "a gate holds nothing", yaml: open + "targets:\n  app:\n    tags: [latest]\n    push: false\n", env: pr,
			tags: []string{}, reason: "pull request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := resolve(t, tt.yaml, tt.o, tt.env)
			if got := b.Targets[0].Tags; !slices.Equal(got, tt.tags) {
				t.Errorf("tags %q, want %q", got, tt.tags)
			}
			r := b.Release
			if !slices.Equal(r.Held, tt.held) || (tt.reason == "") != (r.Reason == "") || !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("held %q (%q), want %q (%q)", r.Held, r.Reason, tt.held, tt.reason)
			}
			var held *HeldTagsError
			if err := r.Err(); (err != nil) != (len(tt.held) > 0) || (err != nil && !errors.As(err, &held)) {
				t.Errorf("Err() = %v", err)
			}
		})
	}
}

func TestHeldTagsErrorNamesTheFix(t *testing.T) {
	b := resolve(t, "version: 1\nrepository: reg.example.com/app\ntargets:\n  app:\n    tags: [latest, v1]\n", Overrides{},
		map[string]string{"GITLAB_CI": "true", "CI_MERGE_REQUEST_ID": "900", "CI_MERGE_REQUEST_IID": "9"})
	err := b.Release.Err()
	for _, want := range []string{"final tags held: a pull request build (CI_MERGE_REQUEST_ID=900)", "reg.example.com/app:latest, reg.example.com/app:v1", "release.allowAnyBuild: true in build.yaml"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "--") {
		t.Errorf("the library's error names a flag: %v", err)
	}
	if note := strings.Join(b.Notes, "\n"); !strings.Contains(note, "final tags held:") || !strings.Contains(note, "a publish fails for reg.example.com/app:latest") {
		t.Errorf("notes %q do not say which tags are held", b.Notes)
	}
}
