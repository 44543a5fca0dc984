package lint_test

import (
	"testing"

	"github.com/cairn-build/cairn/pkg/lint"
)

// TestDuplicateTargetIsTheLast: BuildKit builds the last stage of a
// duplicated name as the target, so that is the final image Lint checks.
func TestDuplicateTargetIsTheLast(t *testing.T) {
	df := "FROM alpine:3.20 AS app\nUSER root\nFROM alpine:3.20 AS app\nUSER nobody\nFROM app AS other\n"
	found, err := lint.Lint(t.Context(), []byte(df), lint.Options{Target: "APP"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		if f.Rule == "DL3002" || f.Rule == "CAIRN002" {
			t.Errorf("line %d: %s %s: the target is the second app, which runs as nobody", f.Line, f.Rule, f.Message)
		}
	}
}
