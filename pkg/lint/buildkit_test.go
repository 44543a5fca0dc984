package lint_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/cairn-build/cairn/pkg/lint"
)

// TestBuildKitChecks checks that BuildKit's own checks come through as
// buildkit/ findings with their line and documentation URL.
func TestBuildKitChecks(t *testing.T) {
	// outOfOrder builds its last stage, but checking every stage fails.
	const outOfOrder = "FROM alpine:3.20 AS early\nCOPY --from=late /x /x\nFROM busybox:1.36 AS late\nUSER app\n"
	tests := []struct {
		name, dockerfile, rule string
		opts                   lint.Options
		line                   int
		severity               lint.Severity
	}{
		{name: "lowercase as", dockerfile: "FROM busybox:1.36 as build\nUSER app\n", rule: "buildkit/FromAsCasing", line: 1, severity: lint.Warning},
		{name: "lowercase from", dockerfile: "from busybox:1.36 AS build\nUSER app\n", rule: "buildkit/FromAsCasing", line: 1, severity: lint.Warning},
		{name: "stage name casing", dockerfile: "FROM busybox:1.36 AS Build\nUSER app\n", rule: "buildkit/StageNameCasing", line: 1, severity: lint.Warning},
		{name: "maintainer", dockerfile: "FROM busybox:1.36\nMAINTAINER me\nUSER app\n", rule: "buildkit/MaintainerDeprecated", line: 2, severity: lint.Warning},
		{name: "undefined var", dockerfile: "FROM busybox:1.36\nUSER app\nENV PATH=/app:$PTH\n", rule: "buildkit/UndefinedVar", line: 3, severity: lint.Warning},
		{name: "in target stage", dockerfile: "FROM busybox:1.36 as build\nFROM busybox:1.36 AS app\nUSER app\n",
			opts: lint.Options{Target: "build"}, rule: "buildkit/FromAsCasing", line: 1, severity: lint.Warning},
		{name: "blank base", dockerfile: "FROM ${NOPE}\n", rule: "buildkit/BuildError", line: 1, severity: lint.Error},
		{name: "error outside the final image", dockerfile: outOfOrder, rule: "buildkit/BuildError", line: 2, severity: lint.Warning},
		{name: "error in the target", dockerfile: outOfOrder, opts: lint.Options{Target: "early"}, rule: "buildkit/BuildError", line: 2, severity: lint.Error},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := lint.Lint(t.Context(), []byte(tc.dockerfile), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(got, func(f lint.Finding) bool { return f.Rule == tc.rule })
			if i < 0 {
				t.Fatalf("no %s finding:%s", tc.rule, dump(got))
			}
			f := got[i]
			if f.Line != tc.line || f.Severity != tc.severity || f.Message == "" {
				t.Errorf("got %+v, want line %d severity %s", f, tc.line, tc.severity)
			}
			if tc.rule != "buildkit/BuildError" && !strings.HasPrefix(f.URL, "https://docs.docker.com/") {
				t.Errorf("URL %q is not BuildKit's rule page", f.URL)
			}
		})
	}
}

// TestBuildKitOffline checks that images BuildKit would pull metadata for
// (bases, COPY --from and RUN --mount from= images) resolve offline: a
// registry that cannot exist must not show up as a failure.
func TestBuildKitOffline(t *testing.T) {
	dockerfile := "FROM registry.invalid/team/base:1.0\n" +
		"COPY --from=registry.invalid/tools:2 /bin/tool /bin/tool\n" +
		"RUN --mount=from=registry.invalid/cache:3,target=/c true\n" +
		"USER app\n"
	got, err := lint.Lint(t.Context(), []byte(dockerfile), lint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("want no findings:%s", dump(got))
	}
}

func TestRulesListsBuildKit(t *testing.T) {
	for _, id := range []string{"buildkit/FromAsCasing", "buildkit/StageNameCasing", "buildkit/UndefinedVar", "buildkit/BuildError"} {
		if !slices.ContainsFunc(lint.Rules(), func(r lint.Rule) bool { return r.ID == id }) {
			t.Errorf("Rules() lacks %s", id)
		}
	}
}
