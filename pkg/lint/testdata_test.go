package lint_test

import (
	"os"
	"slices"
	"testing"

	"github.com/cairn-build/cairn/pkg/lint"
)

// TestTestdata lints whole Dockerfiles: one that follows every rule and
// one that breaks each of cairn's rules.
func TestTestdata(t *testing.T) {
	tests := []struct {
		file  string
		rules []string // rule ids found, sorted by line
	}{
		{"testdata/good.Dockerfile", nil},
		{"testdata/bad.Dockerfile", []string{
			"CAIRN006", "DL3006", "buildkit/ConsistentInstructionCasing", "CAIRN003", "buildkit/SecretsUsedInArgOrEnv",
			"DL3009", "CAIRN005", "DL4006", "CAIRN005", "CAIRN004", "CAIRN007", "DL3007", "DL3019", "DL3002",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			dt, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := lint.Lint(t.Context(), dt, lint.Options{ContextFiles: contextFiles(tc.rules), PinDigests: tc.rules == nil})
			if err != nil {
				t.Fatal(err)
			}
			var rules []string
			for _, f := range got {
				rules = append(rules, f.Rule)
			}
			if !slices.Equal(rules, tc.rules) {
				t.Errorf("rules %q, want %q%s", rules, tc.rules, dump(got))
			}
		})
	}
}

// contextFiles is a context with a .dockerignore unless CAIRN006 is wanted.
func contextFiles(rules []string) []string {
	if slices.Contains(rules, "CAIRN006") {
		return []string{"Dockerfile", "main.go"}
	}
	return []string{".dockerignore", "Dockerfile"}
}
