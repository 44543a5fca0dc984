package planner

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/cairn-build/cairn/internal/dfparse"
)

// Error is a planning error tied to a Dockerfile line.
type Error struct {
	File string
	Line int // 0 when not tied to a line
	Msg  string
	Err  error // underlying error, may be nil
}

// Error formats as "Dockerfile:12: msg: underlying", or "Dockerfile: msg"
// when Line is 0.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Err != nil {
		if e.Msg != "" {
			b.WriteString(": ")
		}
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// errorf returns an *Error for file at line.
func errorf(file string, line int, format string, args ...any) *Error {
	return &Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// wrapErr returns an *Error around a BuildKit error. BuildKit attaches
// source locations to most of its errors; that line wins over line.
func wrapErr(file string, line int, msg string, err error) *Error {
	if l := dfparse.Line(err); l > 0 {
		line = l
	}
	var le *parser.LocationError
	if errors.As(err, &le) {
		// Skip wrappers such as instructions' "dockerfile parse error on
		// line N", which repeat the line Error already prints.
		err = le
	}
	return &Error{File: file, Line: line, Msg: msg, Err: err}
}
