package lint_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cairn-build/cairn/internal/dfparse/dfparsetest"
	"github.com/cairn-build/cairn/pkg/lint"
)

func FuzzLint(f *testing.F) {
	for _, tc := range allRuleCases() {
		f.Add([]byte(tc.dockerfile))
	}
	files, err := filepath.Glob("testdata/*.Dockerfile")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		dt, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(dt)
	}
	for _, s := range dfparsetest.OddDockerfiles() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, dockerfile []byte) {
		got, err := lint.Lint(t.Context(), dockerfile, lint.Options{ContextFiles: []string{}, PinDigests: true})
		if err != nil {
			var pe *lint.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *lint.ParseError: %v", err, err)
			}
			return
		}
		checkFindings(t, got)
	})
}

// checkFindings asserts the invariants of any result: sorted, no
// duplicates, every finding complete.
func checkFindings(t *testing.T, got []lint.Finding) {
	t.Helper()
	if !slices.IsSortedFunc(got, func(a, b lint.Finding) int { return a.Line - b.Line }) {
		t.Fatalf("not sorted by line:%s", dump(got))
	}
	for i, f := range got {
		if f.Rule == "" || f.Message == "" || f.Line < 0 || !slices.Contains([]lint.Severity{lint.Error, lint.Warning, lint.Info}, f.Severity) {
			t.Fatalf("incomplete finding %+v", f)
		}
		if i > 0 && f == got[i-1] {
			t.Fatalf("duplicate finding %+v", f)
		}
	}
}
