package lint

import (
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/linter"
)

// Rule describes one rule Lint knows.
type Rule struct {
	ID          string
	Severity    Severity // default severity
	Description string
}

// Rule ids of cairn's checklist. DL ids are hadolint's, reused where the
// check is the same so hadolint ignore comments carry over.
const (
	ruleUntagged     = "DL3006"
	ruleLatest       = "DL3007"
	ruleNoDigest     = "CAIRN001"
	ruleRootUser     = "DL3002"
	ruleNoUser       = "CAIRN002"
	ruleSecretName   = "CAIRN003"
	ruleAptLists     = "DL3009"
	ruleApkCache     = "DL3019"
	ruleYumClean     = "DL3032"
	ruleDeletedLater = "CAIRN004"
	ruleUnverified   = "CAIRN005"
	rulePipefail     = "DL4006"
	ruleDockerignore = "CAIRN006"
	ruleAddURL       = "CAIRN007"

	// buildkitPrefix prefixes the names of BuildKit's own checks.
	buildkitPrefix = "buildkit/"
	// ruleBuildError is BuildKit refusing to convert a Dockerfile that
	// parses, e.g. a FROM whose ARGs expand to nothing.
	ruleBuildError = buildkitPrefix + "BuildError"
)

// Rules lists every rule cairn knows, with id, default severity and a
// one-line description (for docs and --help): cairn's checklist first,
// then BuildKit's checks.
func Rules() []Rule {
	return append(cairnRules(), buildkitRules()...)
}

func cairnRules() []Rule {
	return []Rule{
		{ruleUntagged, Warning, "FROM image has no tag"},
		{ruleLatest, Warning, "FROM image uses the latest tag"},
		{ruleNoDigest, Warning, "FROM image has no @sha256 digest pin (only with digest pinning on)"},
		{ruleRootUser, Error, "the final image's last USER is root"},
		{ruleNoUser, Warning, "the final image sets no USER, so it runs as root"},
		{ruleSecretName, Error, "ENV or ARG name looks like a secret; use RUN --mount=type=secret"},
		{ruleAptLists, Warning, "apt-get install without rm -rf /var/lib/apt/lists in the same RUN"},
		{ruleApkCache, Warning, "apk add without --no-cache or rm -rf /var/cache/apk in the same RUN"},
		{ruleYumClean, Warning, "yum install without yum clean all in the same RUN"},
		{ruleDeletedLater, Warning, "a file is deleted in a later RUN than the one that created it: its bytes stay in the earlier layer"},
		{ruleUnverified, Error, "curl or wget download without a checksum or signature check in the same RUN"},
		{rulePipefail, Warning, "RUN with a pipe and no set -o pipefail (or pipefail SHELL)"},
		{ruleDockerignore, Warning, "the build context has no .dockerignore"},
		{ruleAddURL, Error, "ADD downloads a URL without --checksum; use curl/wget with a checksum, or COPY"},
	}
}

// buildkitRules lists the BuildKit checks that can fire here. Experimental
// ones are off unless a check directive enables them, and CopyIgnoredFile
// needs the build context, which Lint does not have.
func buildkitRules() []Rule {
	return []Rule{
		bk(&linter.RuleStageNameCasing),
		bk(&linter.RuleFromAsCasing),
		bk(&linter.RuleNoEmptyContinuation),
		bk(&linter.RuleConsistentInstructionCasing),
		bk(&linter.RuleDuplicateStageName),
		bk(&linter.RuleReservedStageName),
		bk(&linter.RuleJSONArgsRecommended),
		bk(&linter.RuleMaintainerDeprecated),
		bk(&linter.RuleUndefinedArgInFrom),
		bk(&linter.RuleWorkdirRelativePath),
		bk(&linter.RuleUndefinedVar),
		bk(&linter.RuleMultipleInstructionsDisallowed),
		bk(&linter.RuleLegacyKeyValueFormat),
		bk(&linter.RuleInvalidBaseImagePlatform),
		bk(&linter.RuleRedundantTargetPlatform),
		bk(&linter.RuleSecretsUsedInArgOrEnv),
		bk(&linter.RuleInvalidDefaultArgInFrom),
		bk(&linter.RuleFromPlatformFlagConstDisallowed),
		bk(&linter.RuleExposeProtoCasing),
		bk(&linter.RuleExposeInvalidFormat),
		{ruleBuildError, Error, "BuildKit cannot convert the Dockerfile to a build"},
	}
}

func bk[F any](r *linter.LinterRule[F]) Rule {
	return Rule{ID: buildkitPrefix + r.Name, Severity: Warning, Description: r.Description}
}

// defaultSeverity is the default severity of one of cairn's rules.
func defaultSeverity(id string) Severity {
	for _, r := range cairnRules() {
		if r.ID == id {
			return r.Severity
		}
	}
	return Warning
}

// ruleURL documents hadolint's rules; cairn's own are described by Rules.
func ruleURL(id string) string {
	if strings.HasPrefix(id, "DL") {
		return "https://github.com/hadolint/hadolint/wiki/" + id
	}
	return ""
}
