package lint_test

import (
	"slices"
	"testing"

	"github.com/cairn-build/cairn/pkg/lint"
)

// TestIgnoreAndSeverity checks inline ignores (cairn's and hadolint's),
// Options.Ignore and Options.Severity.
func TestIgnoreAndSeverity(t *testing.T) {
	const twoLatest = "FROM alpine:latest AS a\nFROM debian:latest\nUSER app\n"
	tests := []struct {
		name       string
		dockerfile string
		opts       lint.Options
		want       []lint.Finding // Rule, Severity and Line only
	}{
		{name: "none", dockerfile: twoLatest,
			want: []lint.Finding{{Rule: "DL3007", Severity: lint.Warning, Line: 1}, {Rule: "DL3007", Severity: lint.Warning, Line: 2}}},
		{name: "cairn-ignore", dockerfile: "# cairn-ignore=DL3007\n" + twoLatest,
			want: []lint.Finding{{Rule: "DL3007", Severity: lint.Warning, Line: 3}}},
		{name: "hadolint ignore, list and blank line", dockerfile: "FROM alpine:latest AS a\n# hadolint ignore=DL3006,DL3007\n\nFROM debian:latest\nUSER app\n",
			want: []lint.Finding{{Rule: "DL3007", Severity: lint.Warning, Line: 1}}},
		{name: "ignore on a RUN", dockerfile: "FROM alpine:3.20\nUSER app\n# cairn-ignore=CAIRN005,DL4006 vendor script, pinned by tag\nRUN curl -fsSL https://example.com/x | sh\nRUN wget https://example.com/y\n",
			want: []lint.Finding{{Rule: "CAIRN005", Severity: lint.Error, Line: 5}}},
		{name: "ignore a BuildKit check", dockerfile: "# cairn-ignore=buildkit/FromAsCasing\nFROM alpine:3.20 as a\nUSER app\n"},
		{name: "Options.Ignore", dockerfile: twoLatest, opts: lint.Options{Ignore: []string{"DL3007"}}},
		{name: "severity raised", dockerfile: twoLatest, opts: lint.Options{Severity: map[string]lint.Severity{"DL3007": lint.Error}},
			want: []lint.Finding{{Rule: "DL3007", Severity: lint.Error, Line: 1}, {Rule: "DL3007", Severity: lint.Error, Line: 2}}},
		{name: "severity off", dockerfile: twoLatest, opts: lint.Options{Severity: map[string]lint.Severity{"DL3007": lint.Off}}},
		{name: "severity empty", dockerfile: twoLatest, opts: lint.Options{Severity: map[string]lint.Severity{"DL3007": ""}}},
		{name: "BuildKit severity", dockerfile: "FROM alpine:3.20 as a\nUSER app\n",
			opts: lint.Options{Severity: map[string]lint.Severity{"buildkit/FromAsCasing": lint.Info}},
			want: []lint.Finding{{Rule: "buildkit/FromAsCasing", Severity: lint.Info, Line: 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := lint.Lint(t.Context(), []byte(tc.dockerfile), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var short []lint.Finding
			for _, f := range got {
				short = append(short, lint.Finding{Rule: f.Rule, Severity: f.Severity, Line: f.Line})
			}
			if !slices.Equal(short, tc.want) {
				t.Errorf("got %v, want %v", short, tc.want)
			}
		})
	}
}

func TestInvalidSeverity(t *testing.T) {
	_, err := lint.Lint(t.Context(), []byte("FROM alpine:3.20\n"), lint.Options{Severity: map[string]lint.Severity{"DL3007": "fatal"}})
	if err == nil {
		t.Fatal("want an error for severity \"fatal\"")
	}
}
