package located_test

import (
	"errors"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/cairn-build/cairn/internal/located"
	"github.com/cairn-build/cairn/pkg/check"
	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/lint"
	"github.com/cairn-build/cairn/pkg/planner"
)

// TestOneType: the located errors of planner, lint, config and check are
// one type, so errors.As into a *located.Error finds any of them, with the
// message each package has always printed.
func TestOneType(t *testing.T) {
	_, perr := planner.New([]byte("FROM alpine\nCOPY --from=nope$X / /\n"), planner.Options{})
	_, lerr := lint.Lint(t.Context(), []byte("FROM alpine:3.20\nFROBNICATE x\n"), lint.Options{})
	_, cerr := config.Parse("build.yaml", []byte("version: 1\ncache:\n  mode: maximal\n"))
	_, serr := check.ParseStructureTest("cst.yaml", []byte("schemaVersion: 2.0.0\nfileExistenceTests: [\n"))
	tests := []struct {
		name string
		err  error
		want string
		line int
	}{
		{"planner", perr, "Dockerfile:2: variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround", 2},
		{"lint", lerr, "Dockerfile:2: parse Dockerfile: dockerfile parse error on line 2: unknown instruction: FROBNICATE", 2},
		{"config", cerr, `build.yaml:3: cache.mode: unknown cache mode "maximal": want inline, max or off`, 3},
		{"check", serr, "cst.yaml:2: invalid YAML: did not find expected node content", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var le *located.Error
			if !errors.As(tc.err, &le) {
				t.Fatalf("%T %v is not a *located.Error", tc.err, tc.err)
			}
			if le.Error() != tc.want || le.Line != tc.line {
				t.Errorf("%q at line %d, want %q at line %d", le.Error(), le.Line, tc.want, tc.line)
			}
		})
	}
	// The structure-test error still unwraps to yaml.v3's.
	var ye *yaml.TypeError
	_, err := check.ParseStructureTest("cst.yaml", []byte("schemaVersion: 2.0.0\nfileExistenceTests: 3\n"))
	if !errors.As(err, &ye) {
		t.Errorf("%v does not unwrap to a *yaml.TypeError", err)
	}
}
