package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestBranchTag(t *testing.T) {
	long := "dependabot/npm_and_yarn/frontend/eslint-plugin-react-7.33.2"
	tests := []struct{ branch, want string }{
		{"main", "main"},
		{"feature/login", "feature-login"},
		{"refs/heads/release/1.2", "release-1.2"},
		{"Fix_Bug.2", "Fix_Bug.2"},
		{"a b@c", "a-b-c"},
		{"-dash", "_dash"},
		{".dot", "_dot"},
		{"/lead", "_lead"},
		{"été", "_t-"}, // é is one rune, one '-'
		{"", ""},
		{long, ""}, // checked by shape below
	}
	for _, tt := range tests {
		got := BranchTag(tt.branch)
		if tt.branch == long {
			// The hash is the branch's: check the shape, not the digits.
			if len(got) != maxBranchTag || !strings.HasPrefix(got, "dependabot-npm_and_yarn-frontend-eslint-") || got[maxBranchTag-9] != '-' {
				t.Errorf("BranchTag(long) = %q (%d chars), want 39 characters, '-', 8 hex digits", got, len(got))
			}
			if BranchTag(long+"x") == got {
				t.Error("two long branches that differ past the cut share a tag")
			}
		} else if got != tt.want {
			t.Errorf("BranchTag(%q) = %q, want %q", tt.branch, got, tt.want)
		}
		if got != "" && !tagPattern.MatchString(got) {
			t.Errorf("BranchTag(%q) = %q cannot start a tag", tt.branch, got)
		}
	}
}

func FuzzBranchTag(f *testing.F) {
	for _, s := range []string{"main", "feature/x", "-", "ü", strings.Repeat("a/", 80)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, branch string) {
		got := BranchTag(branch)
		if got == "" {
			if strings.TrimPrefix(branch, "refs/heads/") != "" {
				t.Fatalf("BranchTag(%q) is empty", branch)
			}
			return
		}
		if len(got) > maxBranchTag || !tagPattern.MatchString(got) {
			t.Fatalf("BranchTag(%q) = %q: not a tag component of at most %d characters", branch, got, maxBranchTag)
		}
	})
}

func TestDetectCI(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want CI
	}{
		{"none", map[string]string{"BRANCH_NAME": "x", "CHANGE_ID": "3"}, CI{}},
		{"GitHub push", map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_REF_NAME": "main", "GITHUB_HEAD_REF": ""},
			CI{Name: "GitHub Actions", Branch: "main", BranchVar: "GITHUB_REF_NAME"}},
		{"GitHub pull request", map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_REF_NAME": "12/merge", "GITHUB_HEAD_REF": "feature/x"},
			CI{Name: "GitHub Actions", Branch: "feature/x", BranchVar: "GITHUB_HEAD_REF", PullRequest: "GITHUB_EVENT_NAME=pull_request"}},
		{"GitHub pull_request_target", map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request_target", "GITHUB_REF_NAME": "main", "GITHUB_HEAD_REF": "fork-main"},
			CI{Name: "GitHub Actions", Branch: "fork-main", BranchVar: "GITHUB_HEAD_REF", PullRequest: "GITHUB_EVENT_NAME=pull_request_target"}},
		{"GitLab merge request", map[string]string{"GITLAB_CI": "true", "CI_MERGE_REQUEST_ID": "77", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "fix", "CI_COMMIT_REF_NAME": "refs/merge-requests/3/head"},
			CI{Name: "GitLab CI", Branch: "fix", BranchVar: "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", PullRequest: "CI_MERGE_REQUEST_ID=77"}},
		{"GitHub pull request, numbered", map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_REF": "refs/pull/12/merge", "GITHUB_HEAD_REF": "feat"},
			CI{Name: "GitHub Actions", Branch: "feat", BranchVar: "GITHUB_HEAD_REF", PullRequest: "GITHUB_EVENT_NAME=pull_request", PullRequestID: "12"}},
		{"GitHub push to a pull ref is no pull request", map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/pull/12/merge", "GITHUB_REF_NAME": "12/merge"},
			CI{Name: "GitHub Actions", Branch: "12/merge", BranchVar: "GITHUB_REF_NAME"}},
		{"GitLab merge request, numbered", map[string]string{"GITLAB_CI": "true", "CI_MERGE_REQUEST_ID": "9001", "CI_MERGE_REQUEST_IID": "7", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "fix"},
			CI{Name: "GitLab CI", Branch: "fix", BranchVar: "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", PullRequest: "CI_MERGE_REQUEST_ID=9001", PullRequestID: "7"}},
		{"GitLab external pull request", map[string]string{"GITLAB_CI": "true", "CI_EXTERNAL_PULL_REQUEST_IID": "5", "CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME": "ext", "CI_COMMIT_REF_NAME": "ext"},
			CI{Name: "GitLab CI", Branch: "ext", BranchVar: "CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME", PullRequest: "CI_EXTERNAL_PULL_REQUEST_IID=5", PullRequestID: "5"}},
		{"GitLab branch", map[string]string{"GITLAB_CI": "true", "CI_COMMIT_REF_NAME": "main"},
			CI{Name: "GitLab CI", Branch: "main", BranchVar: "CI_COMMIT_REF_NAME"}},
		{"Buildkite pull request", map[string]string{"BUILDKITE": "true", "BUILDKITE_BRANCH": "feat", "BUILDKITE_PULL_REQUEST": "41"},
			CI{Name: "Buildkite", Branch: "feat", BranchVar: "BUILDKITE_BRANCH", PullRequest: "BUILDKITE_PULL_REQUEST=41", PullRequestID: "41"}},
		{"Buildkite branch", map[string]string{"BUILDKITE": "true", "BUILDKITE_BRANCH": "main", "BUILDKITE_PULL_REQUEST": "false"},
			CI{Name: "Buildkite", Branch: "main", BranchVar: "BUILDKITE_BRANCH"}},
		{"Jenkins change request", map[string]string{"JENKINS_URL": "https://ci/", "BRANCH_NAME": "PR-24", "CHANGE_BRANCH": "feature/y", "CHANGE_ID": "24"},
			CI{Name: "Jenkins", Branch: "feature/y", BranchVar: "CHANGE_BRANCH", PullRequest: "CHANGE_ID=24", PullRequestID: "24"}},
		{"Jenkins branch", map[string]string{"JENKINS_URL": "https://ci/", "BRANCH_NAME": "main"},
			CI{Name: "Jenkins", Branch: "main", BranchVar: "BRANCH_NAME"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DetectCI(env(tt.env)); got != tt.want {
				t.Errorf("DetectCI = %+v, want %+v", got, tt.want)
			}
		})
	}
}

const tiered = `version: 1
repository: reg.example.com/app
cache:
  ref: "{repository}:cache-{branch}-{stage}"
  fallback: ["{repository}:cache-main-{stage}"]
  protected: [main, "release/*"]
  mounts:
    ref: "{repository}:cache-mount-{branch}-{mount}"
    fallback: ["{repository}:cache-mount-main-{mount}"]
`

var (
	ghPush = map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_REF_NAME": "main"}
	ghPR   = map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_REF_NAME": "12/merge", "GITHUB_HEAD_REF": "feature/x"}
)

func with(base map[string]string, kv ...string) map[string]string {
	m := map[string]string{}
	for k, v := range base {
		m[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestCacheTiers(t *testing.T) {
	const shared = "version: 1\nrepository: reg.example.com/app\n"
	tests := []struct {
		name      string
		yaml      string
		env       map[string]string
		o         Overrides
		writes    bool
		reason    string // part of Reason
		ref       string // CacheRef("deps")
		fallbacks []string
		mount     string // CacheMounts.Ref("/go")
		mountsRO  bool   // the mount snapshots are read-only though the stage caches are written
	}{
		{name: "main push writes main's tier", yaml: tiered, env: ghPush, writes: true,
			ref: "reg.example.com/app:cache-main-deps", fallbacks: []string{"reg.example.com/app:cache-main-deps"}, mount: "reg.example.com/app:cache-mount-main-go"},
		{name: "a pull request reads its tier and main's, writes none", yaml: tiered, env: ghPR, reason: "a pull request build (GITHUB_EVENT_NAME=pull_request)",
			ref: "reg.example.com/app:cache-feature-x-deps", fallbacks: []string{"reg.example.com/app:cache-main-deps"}, mount: "reg.example.com/app:cache-mount-feature-x-go"},
		{name: "--cache-write=branch writes a pull request's tier", yaml: tiered, env: ghPR, o: Overrides{CacheWrite: "branch"}, writes: true,
			ref: "reg.example.com/app:cache-feature-x-deps", fallbacks: []string{"reg.example.com/app:cache-main-deps"}, mount: "reg.example.com/app:cache-mount-feature-x-go"},
		{name: "a pull request from a fork's main never writes main's tier", yaml: tiered, env: with(ghPR, "GITHUB_HEAD_REF", "main"), o: Overrides{CacheWrite: "branch"},
			reason: `tier main is protected (cache.protected "main")`, ref: "reg.example.com/app:cache-main-deps", fallbacks: []string{"reg.example.com/app:cache-main-deps"}, mount: "reg.example.com/app:cache-mount-main-go"},
		{name: "a look-alike branch does not write a protected tier", yaml: tiered, o: Overrides{Branch: "release-1"},
			reason: `tier release-1 is protected (cache.protected "release/*")`, ref: "reg.example.com/app:cache-release-1-deps", fallbacks: []string{"reg.example.com/app:cache-main-deps"}, mount: "reg.example.com/app:cache-mount-release-1-go"},
		{name: "a protected glob's own branch writes", yaml: tiered, o: Overrides{Branch: "release/1"}, writes: true,
			ref: "reg.example.com/app:cache-release-1-deps", fallbacks: []string{"reg.example.com/app:cache-main-deps"}, mount: "reg.example.com/app:cache-mount-release-1-go"},
		{name: "any protected branch that reaches a tier writes it", yaml: strings.Replace(tiered, "[main, ", "[release-1, ", 1), o: Overrides{Branch: "release/1"}, writes: true,
			ref: "reg.example.com/app:cache-release-1-deps", fallbacks: []string{"reg.example.com/app:cache-main-deps"}, mount: "reg.example.com/app:cache-mount-release-1-go"},
		{name: "--branch beats the CI", yaml: tiered, env: ghPush, o: Overrides{Branch: "topic"}, writes: true,
			ref: "reg.example.com/app:cache-topic-deps", fallbacks: []string{"reg.example.com/app:cache-main-deps"}, mount: "reg.example.com/app:cache-mount-topic-go"},
		{name: "the checkout's branch when no CI names one", yaml: tiered, o: Overrides{CheckoutBranch: "wip/a"}, writes: true,
			ref: "reg.example.com/app:cache-wip-a-deps", fallbacks: []string{"reg.example.com/app:cache-main-deps"}, mount: "reg.example.com/app:cache-mount-wip-a-go"},
		{name: "the CI beats the checkout", yaml: tiered, env: ghPush, o: Overrides{CheckoutBranch: "wip/a"}, writes: true,
			ref: "reg.example.com/app:cache-main-deps", fallbacks: []string{"reg.example.com/app:cache-main-deps"}, mount: "reg.example.com/app:cache-mount-main-go"},
		{name: "an unknown branch has no own ref and reads the fallbacks", yaml: tiered, reason: "branch is unknown",
			fallbacks: []string{"reg.example.com/app:cache-main-deps"}},
		{name: "--cache-write=none", yaml: tiered, env: ghPush, o: Overrides{CacheWrite: "none"}, reason: "cache writes are off (--cache-write=none)",
			ref: "reg.example.com/app:cache-main-deps", fallbacks: []string{"reg.example.com/app:cache-main-deps"}, mount: "reg.example.com/app:cache-mount-main-go"},
		{name: "cache.write: none", yaml: tiered + "  write: none\n", env: ghPush, reason: "cache writes are off (cache.write: none)",
			ref: "reg.example.com/app:cache-main-deps", fallbacks: []string{"reg.example.com/app:cache-main-deps"}, mount: "reg.example.com/app:cache-mount-main-go"},
		{name: "shared refs: a pull request reads only", yaml: shared, env: ghPR, reason: "pull request",
			ref: "reg.example.com/app:cache-deps", mount: "reg.example.com/app:cache-mount-go"},
		{name: "shared refs: any other build writes", yaml: shared, env: with(ghPush, "GITHUB_REF_NAME", "topic"), writes: true,
			ref: "reg.example.com/app:cache-deps", mount: "reg.example.com/app:cache-mount-go"},
		{name: "shared refs with protected: only its branch writes", yaml: shared + "cache:\n  protected: [main]\n", env: with(ghPush, "GITHUB_REF_NAME", "topic"),
			reason: "every branch shares its refs", ref: "reg.example.com/app:cache-deps", mount: "reg.example.com/app:cache-mount-go"},
		{name: "shared refs with protected: main writes", yaml: shared + "cache:\n  protected: [main]\n", env: ghPush, writes: true,
			ref: "reg.example.com/app:cache-deps", mount: "reg.example.com/app:cache-mount-go"},
		{name: "tiered stage caches, shared mounts: a branch writes only its stage caches",
			yaml: shared + "cache:\n  ref: \"{repository}:cache-{branch}-{stage}\"\n  protected: [main]\n", o: Overrides{Branch: "topic"}, writes: true, mountsRO: true,
			ref: "reg.example.com/app:cache-topic-deps", mount: "reg.example.com/app:cache-mount-go"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := resolve(t, tt.yaml, tt.o, tt.env)
			if b.Tier.Writes != tt.writes || !strings.Contains(b.Tier.Reason, tt.reason) || (tt.writes && b.Tier.Reason != "") {
				t.Errorf("writes %v (%q), want %v (%q)", b.Tier.Writes, b.Tier.Reason, tt.writes, tt.reason)
			}
			if got := b.CacheRef("deps"); got != tt.ref {
				t.Errorf("CacheRef = %q, want %q", got, tt.ref)
			}
			if got := b.CacheFallbacks("deps"); !slices.Equal(got, tt.fallbacks) {
				t.Errorf("CacheFallbacks = %q, want %q", got, tt.fallbacks)
			}
			if got := b.CacheMounts.Ref("/go"); got != tt.mount {
				t.Errorf("mount ref = %q, want %q", got, tt.mount)
			}
			if mw := tt.writes && !tt.mountsRO; b.Tier.MountWrites != mw || (!mw && b.Tier.MountReason == "") {
				t.Errorf("mount writes %v (%q), want %v", b.Tier.MountWrites, b.Tier.MountReason, mw)
			}
			if po := b.PlanOptions(); po.CacheReadOnly == tt.writes || po.CacheMountsReadOnly == b.Tier.MountWrites {
				t.Errorf("PlanOptions read-only %v, mounts %v; with writes %v, mounts %v", po.CacheReadOnly, po.CacheMountsReadOnly, tt.writes, b.Tier.MountWrites)
			}
			if !tt.writes && !slices.ContainsFunc(b.Notes, func(n string) bool { return strings.HasPrefix(n, "cache is read-only: ") }) {
				t.Errorf("notes %q say nothing of the read-only cache", b.Notes)
			}
		})
	}
}

func TestTierStamp(t *testing.T) {
	f, err := Parse("build.yaml", []byte(tiered))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{ghPush, "reg.example.com/app:cache-main-_tier"},
		{ghPR, ""}, // read-only: no stamp moves
	} {
		b, err := f.Resolve(Overrides{}, env(tt.env))
		if err != nil {
			t.Fatal(err)
		}
		if got := b.TierStamp(); got != tt.want {
			t.Errorf("TierStamp = %q, want %q", got, tt.want)
		}
	}
	shared, _ := Parse("build.yaml", []byte("version: 1\nrepository: reg.example.com/app\n"))
	b, _ := shared.Resolve(Overrides{}, env(ghPush))
	if got := b.TierStamp(); got != "" {
		t.Errorf("shared refs: TierStamp = %q, want none", got)
	}
}

func TestTierErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		o          Overrides
		want       string
	}{
		{"bad cache.write", "version: 1\ncache:\n  write: always\n", Overrides{}, `build.yaml:3: cache.write: unknown cache write mode "always": want auto, branch or none`},
		{"bad --cache-write", "version: 1\n", Overrides{CacheWrite: "yes"}, `Overrides.CacheWrite: unknown cache write mode "yes": want auto, branch or none`},
		{"empty protected", "version: 1\ncache:\n  protected: [main, \"*\"]\n", Overrides{}, `build.yaml:3: cache.protected[1]: "*" names no branch`},
		{"branch in the repository", "version: 1\nrepository: reg.example.com/app\ncache:\n  ref: \"{repository}/{branch}:{stage}\"\n", Overrides{Branch: "main"},
			`build.yaml:4: cache.ref: "{repository}/{branch}:{stage}" must put {branch} in the tag (after the last ':')`},
		{"branch in the repository, flag", "version: 1\nrepository: reg.example.com/app\n", Overrides{Branch: "main", CacheRef: "{repository}-{branch}:{stage}"},
			`Overrides.CacheRef: "{repository}-{branch}:{stage}" must put {branch} in the tag (after the last ':')`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("build.yaml", []byte(tt.yaml))
			if err == nil {
				_, err = f.Resolve(tt.o, env(nil))
			}
			if err == nil || err.Error() != tt.want {
				t.Errorf("error:\n got %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestProtects(t *testing.T) {
	tier := CacheTier{Protected: []string{"main", "release/*", "refs/heads/prod"}}
	tests := []struct {
		tier, want string
	}{
		{"main", "main"},
		{"release-1.2", "release/*"},
		{"release-", "release/*"},
		{"prod", "refs/heads/prod"},
		{"mainline", ""},
		{"feature-main", ""},
		{"releases", ""},
	}
	for _, tt := range tests {
		if got, _ := tier.Protects(tt.tier); got != tt.want {
			t.Errorf("Protects(%q) = %q, want %q", tt.tier, got, tt.want)
		}
	}
}

func TestTierPatterns(t *testing.T) {
	b := resolve(t, tiered, Overrides{}, nil)
	patterns, err := b.TierPatterns([]string{"deps", "x-deps", "my-stage"}, []string{"//root/.cache/go-build"})
	if err != nil {
		t.Fatal(err)
	}
	if len(patterns) != 2 || patterns[0].Repository != "reg.example.com/app" || patterns[0].Field != "cache.ref" || patterns[1].Field != "cache.mounts.ref" {
		t.Fatalf("patterns = %+v", patterns)
	}
	stage, mount := patterns[0], patterns[1]
	tests := []struct {
		p     TierPattern
		tag   string
		want  []TierMatch
		known bool
	}{
		{stage, "cache-main-deps", []TierMatch{{Tier: "main"}}, true},
		{stage, "cache-main-my-stage", []TierMatch{{Tier: "main"}}, true}, // not tier "main-my"
		{stage, "cache-feature-x-deps", []TierMatch{{Tier: "feature"}, {Tier: "feature-x"}}, true},
		{stage, "cache-feature-y-deps", []TierMatch{{Tier: "feature-y"}}, true},
		{stage, "cache-feature-x-_tier", []TierMatch{{Tier: "feature-x", Stamp: true}}, true},
		{stage, "cache-gone-old", []TierMatch{{Tier: "gone"}}, false}, // a stage the Dockerfile no longer has
		{stage, "cache-a-b-old", []TierMatch{{Tier: "a"}, {Tier: "a-b"}}, false},
		{stage, "latest", nil, false},
		{stage, "cache-deps", nil, false},
		{mount, "cache-mount-main-root-.cache-go-build", []TierMatch{{Tier: "main"}}, true},
		{mount, "cache-main-deps", nil, false},
	}
	for _, tt := range tests {
		got, known := tt.p.Match(tt.tag)
		if !reflect.DeepEqual(got, tt.want) || known != tt.known {
			t.Errorf("%s.Match(%q) = %v, %v; want %v, %v", tt.p.Field, tt.tag, got, known, tt.want, tt.known)
		}
	}
	shared, _ := Parse("build.yaml", []byte("version: 1\nrepository: reg.example.com/app\n"))
	sb, _ := shared.Resolve(Overrides{}, env(nil))
	if p, err := sb.TierPatterns(nil, nil); err != nil || len(p) != 0 {
		t.Errorf("shared refs: patterns %v, %v; want none", p, err)
	}
}
