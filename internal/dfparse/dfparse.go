// Package dfparse runs BuildKit's Dockerfile parser for cairn's planner and
// lint: a panic inside BuildKit becomes an error (its parser has panicked on
// odd input before, and cairn must not crash), and errors give the line
// BuildKit attached to them.
package dfparse

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Dockerfile is a Dockerfile as BuildKit's parsers see it.
type Dockerfile struct {
	Result *parser.Result
	Stages []instructions.Stage
	Meta   []instructions.ArgCommand // global ARGs, before the first FROM
}

// Parse runs BuildKit's parser and instruction parser over dt.
func Parse(dt []byte) (*Dockerfile, error) {
	var df Dockerfile
	err := Safely(func() error {
		var err error
		if df.Result, err = parser.Parse(bytes.NewReader(dt)); err != nil {
			return err
		}
		df.Stages, df.Meta, err = instructions.Parse(df.Result.AST, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &df, nil
}

// Safely runs f, turning a panic into an error.
func Safely(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal BuildKit error: %v", r)
		}
	}()
	return f()
}

// Line is the first line BuildKit attached to err, or 0.
func Line(err error) int {
	var le *parser.LocationError
	if !errors.As(err, &le) || len(le.Locations) == 0 || len(le.Locations[0]) == 0 {
		return 0
	}
	return le.Locations[0][0].Start.Line
}

// RangeLine is the first line of a BuildKit source range, or 0.
func RangeLine(r []parser.Range) int {
	if len(r) == 0 {
		return 0
	}
	return r[0].Start.Line
}
