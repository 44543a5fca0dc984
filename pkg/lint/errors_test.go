package lint_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cairn-build/cairn/pkg/lint"
)

func TestLintErrors(t *testing.T) {
	tests := []struct {
		name, dockerfile string
		opts             lint.Options
		parse            bool // want a *lint.ParseError
		line             int
		msg              string
	}{
		{name: "empty", dockerfile: "", parse: true, msg: "Dockerfile: the Dockerfile cannot be empty"},
		{name: "no stages", dockerfile: "ARG A=1\n", parse: true, msg: "no stages"},
		{name: "unterminated heredoc", dockerfile: "FROM alpine:3.20\nRUN <<EOF\necho hi\n", parse: true, line: 2, msg: "unterminated heredoc"},
		{name: "unknown instruction", dockerfile: "FROM alpine:3.20\nFROBNICATE x\n", parse: true, line: 2, msg: "unknown instruction"},
		{name: "file name", dockerfile: "FROM alpine:3.20\nCOPY --nope a b\n", opts: lint.Options{Filename: "app.Dockerfile"}, parse: true, line: 2, msg: "app.Dockerfile:2: "},
		{name: "unknown target", dockerfile: "FROM alpine:3.20 AS app\n", opts: lint.Options{Target: "ap"}, msg: `unknown target "ap"`},
		{name: "target index out of range", dockerfile: "FROM alpine:3.20 AS app\n", opts: lint.Options{Target: "1"}, msg: `unknown target "1"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := lint.Lint(t.Context(), []byte(tc.dockerfile), tc.opts)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
			var pe *lint.ParseError
			if errors.As(err, &pe) != tc.parse {
				t.Fatalf("error %T %v: ParseError %v, want %v", err, err, !tc.parse, tc.parse)
			}
			if tc.parse && pe.Line != tc.line {
				t.Errorf("line %d, want %d", pe.Line, tc.line)
			}
		})
	}
}
