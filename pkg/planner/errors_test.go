package planner

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/cairn-build/cairn/internal/dfparse"
)

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"line and message", &Error{File: "Dockerfile", Line: 12, Msg: `unknown stage "buidler"`}, `Dockerfile:12: unknown stage "buidler"`},
		{"no line", &Error{File: "Dockerfile", Msg: "the Dockerfile cannot be empty"}, "Dockerfile: the Dockerfile cannot be empty"},
		{"wrapped", &Error{File: "build/Dockerfile", Line: 3, Msg: "parse Dockerfile", Err: fs.ErrNotExist}, "build/Dockerfile:3: parse Dockerfile: file does not exist"},
		{"wrapped without message", &Error{File: "Dockerfile", Line: 4, Err: fs.ErrNotExist}, "Dockerfile:4: file does not exist"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
			if errors.Unwrap(tc.err) != tc.err.Err {
				t.Error("Unwrap lost the underlying error")
			}
		})
	}
}

func TestSafely(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name string
		f    func() error
		want string
	}{
		{"ok", func() error { return nil }, ""},
		{"error", func() error { return boom }, "boom"},
		{"panic", func() error { panic("index out of range") }, "internal BuildKit error: index out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := dfparse.Safely(tc.f)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("dfparse.Safely() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPanicBecomesError(t *testing.T) {
	// A panic in BuildKit's lexer must surface as an *Error from New.
	df, err := parse([]byte("FROM alpine\n"), "Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df.lex = nil // makes ProcessWordWithMatches dereference nil
	_, err = newPlanner(df, Options{}).plan()
	var perr *Error
	if !errors.As(err, &perr) || perr.Line != 1 {
		t.Fatalf("plan() = %v, want an *Error at line 1", err)
	}
	t.Log(err)
}
