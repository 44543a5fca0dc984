package lint

import (
	"github.com/cairn-build/cairn/internal/dfparse"
	"github.com/cairn-build/cairn/internal/located"
)

// ParseError reports a Dockerfile Lint cannot parse. It formats as
// "Dockerfile:12: msg: underlying", or "Dockerfile: msg" when Line is 0,
// and is cairn's one located error type, so errors.As into a
// *located.Error finds it too. It is not named Error because the Error
// severity already has that name.
type ParseError = located.Error

// parseErr wraps a BuildKit error, taking the line BuildKit attached.
func parseErr(file, msg string, err error) *ParseError {
	return &ParseError{File: file, Line: dfparse.Line(err), Msg: msg, Err: err}
}
