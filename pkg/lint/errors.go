package lint

import (
	"strconv"
	"strings"

	"github.com/cairn-build/cairn/internal/dfparse"
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
	return &ParseError{File: file, Line: dfparse.Line(err), Msg: msg, Err: err}
}
