package dfparse

import (
	"errors"
	"fmt"

	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/cairn-build/cairn/internal/located"
)

// Errorf returns a *located.Error for file at line (0: no line).
func Errorf(file string, line int, format string, args ...any) *located.Error {
	return &located.Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// Wrap returns a *located.Error around a BuildKit error. BuildKit attaches
// source locations to most of its errors; that line wins over line.
func Wrap(file string, line int, msg string, err error) *located.Error {
	if l := Line(err); l > 0 {
		line = l
	}
	var le *parser.LocationError
	if errors.As(err, &le) {
		// Skip wrappers such as instructions' "dockerfile parse error on
		// line N", which repeat the line the error already prints.
		err = le
	}
	return &located.Error{File: file, Line: line, Msg: msg, Err: err}
}
