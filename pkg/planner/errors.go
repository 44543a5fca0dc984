package planner

import (
	"github.com/cairn-build/cairn/internal/dfparse"
	"github.com/cairn-build/cairn/internal/located"
)

// Error is a planning error tied to a Dockerfile line. It formats as
// "Dockerfile:12: msg: underlying", or "Dockerfile: msg" when Line is 0,
// and is cairn's one located error type, so errors.As into a
// *located.Error finds it too.
type Error = located.Error

// errorf returns an *Error for file at line.
func errorf(file string, line int, format string, args ...any) *Error {
	return dfparse.Errorf(file, line, format, args...)
}

// wrapErr returns an *Error around a BuildKit error. BuildKit attaches
// source locations to most of its errors; that line wins over line.
func wrapErr(file string, line int, msg string, err error) *Error {
	return dfparse.Wrap(file, line, msg, err)
}
