// Package located is cairn's one error type for a problem at a place in a
// file: a Dockerfile line, a build.yaml field, a structure-test key. The
// planner, lint, config and check packages all return it, so a caller can
// errors.As any of their errors into a *located.Error and show the place.
package located

import (
	"strconv"
	"strings"
)

// Error is a problem in File, at Line (0 when unknown) and Field ("" when
// none), described by Msg and caused by Err (nil when none).
type Error struct {
	File  string
	Line  int
	Field string
	Msg   string
	Err   error
}

// Error formats as "file:line: field: msg: err", leaving out the empty
// parts (and ":line" when Line is 0).
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	add := func(s string) {
		if s == "" {
			return
		}
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(s)
	}
	add(e.Field)
	add(e.Msg)
	if e.Err != nil {
		add(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }
