package config

import "strings"

// CI is what a CI system says about the build through its environment:
// the branch, and whether the build is of a pull (merge) request. The zero
// value is a build outside any CI cairn knows.
type CI struct {
	Name      string // "GitHub Actions", "GitLab CI", "Buildkite", "Jenkins"; "" when none
	Branch    string // the branch built; for a pull request its source (head) branch
	BranchVar string // the variable Branch was read from
	// PullRequest says which variable reports a pull request, as
	// "NAME=value"; "" when the build is not of one.
	PullRequest string
	// PullRequestID is the pull request's number, the value of {pr} once
	// made a tag component (PullRequestTag); "" when the CI does not say.
	PullRequestID string
}

// DetectCI reads the CI system's variables through env (os.LookupEnv in
// the CLI). Each system is recognised by the variable it always sets
// (GITHUB_ACTIONS=true, GITLAB_CI=true, BUILDKITE=true, JENKINS_URL), so a
// stray BRANCH_NAME in a shell means nothing.
//
//   - GitHub Actions: GITHUB_HEAD_REF (set only for pull_request and
//     pull_request_target events), else GITHUB_REF_NAME; a pull request when
//     GITHUB_EVENT_NAME starts with pull_request, numbered by GITHUB_REF
//     (refs/pull/N/merge; pull_request_target's names the base branch, so
//     no number).
//   - GitLab CI: CI_MERGE_REQUEST_SOURCE_BRANCH_NAME, then
//     CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME, else CI_COMMIT_REF_NAME;
//     a merge request when CI_MERGE_REQUEST_ID or
//     CI_EXTERNAL_PULL_REQUEST_IID is set, numbered by CI_MERGE_REQUEST_IID
//     (the project's !N), else CI_EXTERNAL_PULL_REQUEST_IID.
//   - Buildkite: BUILDKITE_BRANCH; a pull request when BUILDKITE_PULL_REQUEST
//     is set and not "false", its value the number.
//   - Jenkins (multibranch): CHANGE_BRANCH (a change request's source
//     branch; BRANCH_NAME is then "PR-12"), else BRANCH_NAME; a change
//     request when CHANGE_ID is set, its value the number.
func DetectCI(env func(string) (string, bool)) CI {
	get := func(name string) string { v, _ := env(name); return strings.TrimSpace(v) }
	first := func(ci *CI, names ...string) {
		for _, n := range names {
			if v := get(n); v != "" {
				ci.Branch, ci.BranchVar = v, n
				return
			}
		}
	}
	set := func(ci *CI, name string, isPR func(string) bool) bool {
		if v := get(name); v != "" && isPR(v) {
			ci.PullRequest = name + "=" + v
			return true
		}
		return false
	}
	number := func(ci *CI, names ...string) {
		for _, n := range names {
			if v := get(n); ci.PullRequest != "" && v != "" {
				ci.PullRequestID = v
				return
			}
		}
	}
	always := func(string) bool { return true }
	var ci CI
	switch {
	case get("GITHUB_ACTIONS") == "true":
		ci.Name = "GitHub Actions"
		first(&ci, "GITHUB_HEAD_REF", "GITHUB_REF_NAME")
		set(&ci, "GITHUB_EVENT_NAME", func(v string) bool { return strings.HasPrefix(v, "pull_request") })
		if n, ok := strings.CutPrefix(get("GITHUB_REF"), "refs/pull/"); ok && ci.PullRequest != "" {
			ci.PullRequestID, _, _ = strings.Cut(n, "/")
		}
	case get("GITLAB_CI") == "true":
		ci.Name = "GitLab CI"
		first(&ci, "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME", "CI_COMMIT_REF_NAME")
		_ = set(&ci, "CI_MERGE_REQUEST_ID", always) || set(&ci, "CI_EXTERNAL_PULL_REQUEST_IID", always)
		number(&ci, "CI_MERGE_REQUEST_IID", "CI_EXTERNAL_PULL_REQUEST_IID")
	case get("BUILDKITE") == "true":
		ci.Name = "Buildkite"
		first(&ci, "BUILDKITE_BRANCH")
		set(&ci, "BUILDKITE_PULL_REQUEST", func(v string) bool { return v != "false" })
		number(&ci, "BUILDKITE_PULL_REQUEST")
	case get("JENKINS_URL") != "":
		ci.Name = "Jenkins"
		first(&ci, "CHANGE_BRANCH", "BRANCH_NAME")
		set(&ci, "CHANGE_ID", always)
		number(&ci, "CHANGE_ID")
	}
	return ci
}
