package lint

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// ParseError reports a Dockerfile Lint cannot parse. It is not named Error
// because the Error severity already has that name.
type ParseError struct {
	File string
	Line int // 0 when not tied to a line
	Msg  string
	Err  error // underlying BuildKit error, may be nil
}

// Error formats as "Dockerfile:12: msg: underlying", or "Dockerfile: msg"
// when Line is 0.
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": " + e.Msg)
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// parseErr wraps a BuildKit error, taking the line BuildKit attached.
func parseErr(file, msg string, err error) *ParseError {
	return &ParseError{File: file, Line: locationLine(err), Msg: msg, Err: err}
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

// safely runs f, turning a panic into an error: BuildKit's parser and
// converter have panicked on odd input before, and lint must not crash
// the CLI.
func safely(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal BuildKit error: %v", r)
		}
	}()
	return f()
}
