package located_test

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/cairn-build/cairn/internal/located"
)

func TestError(t *testing.T) {
	tests := []struct {
		name string
		err  *located.Error
		want string
	}{
		{"everything", &located.Error{File: "build.yaml", Line: 3, Field: "cache.mode", Msg: "bad", Err: fs.ErrNotExist}, "build.yaml:3: cache.mode: bad: file does not exist"},
		{"no line", &located.Error{File: "Dockerfile", Msg: "the Dockerfile cannot be empty"}, "Dockerfile: the Dockerfile cannot be empty"},
		{"no field", &located.Error{File: "Dockerfile", Line: 2, Msg: "parse Dockerfile", Err: fs.ErrNotExist}, "Dockerfile:2: parse Dockerfile: file does not exist"},
		{"no message", &located.Error{File: "Dockerfile", Line: 4, Err: fs.ErrNotExist}, "Dockerfile:4: file does not exist"},
		{"field, no error", &located.Error{File: "t.yaml", Line: 1, Field: "schemaVersion", Msg: "unsupported"}, "t.yaml:1: schemaVersion: unsupported"},
		{"no file", &located.Error{Msg: "bad"}, "bad"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
			if !errors.Is(tc.err, tc.err.Err) && tc.err.Err != nil {
				t.Error("Unwrap lost the underlying error")
			}
		})
	}
}
