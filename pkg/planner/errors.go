package planner

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
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
	if l := locationLine(err); l > 0 {
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

// locationLine is the first line BuildKit attached to err, or 0.
func locationLine(err error) int {
	var le *parser.LocationError
	if !errors.As(err, &le) || len(le.Locations) == 0 || len(le.Locations[0]) == 0 {
		return 0
	}
	return le.Locations[0][0].Start.Line
}

// rangeLine is the first line of a BuildKit source range, or 0.
func rangeLine(r []parser.Range) int {
	if len(r) == 0 {
		return 0
	}
	return r[0].Start.Line
}

// safely runs f, turning a panic into an error: BuildKit's parser has
// panicked on odd input before, and a plan must never crash the CLI.
func safely(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal parser error: %v", r)
		}
	}()
	return f()
}
