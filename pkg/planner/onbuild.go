package planner

import (
	"errors"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/cairn-build/cairn/internal/dfparse"
)

// triggers returns the sources added to stage i by the ONBUILD instructions
// of its base stage. BuildKit runs a base stage's ONBUILD triggers in every
// stage built FROM it (not in the stage itself, and not further down), so
// ONBUILD COPY --from=x makes x a dependency of the child stage. Errors are
// reported at the child's FROM line, as BuildKit does. nodes is the size of
// BuildKit's state list, for index references.
func (df *dockerfile) triggers(i int, b dfparse.Base, nodes int) ([]ref, error) {
	if b.Stage < 0 {
		return nil, nil
	}
	line := df.StageLine(i)
	sc := &refScanner{df: df, nodes: nodes}
	var refs []ref
	for _, cmd := range df.Stages[b.Stage].Commands {
		ob, ok := cmd.(*instructions.OnbuildCommand)
		if !ok {
			continue
		}
		trigger, err := parseTrigger(ob.Expression)
		if err != nil {
			return nil, &Error{File: df.File, Line: line, Msg: "ONBUILD trigger", Err: err}
		}
		rs, err := sc.command(trigger, line)
		if err != nil {
			return nil, &Error{File: df.File, Line: line, Msg: "ONBUILD trigger", Err: err}
		}
		for _, r := range rs {
			// A trigger may name the stage it runs in: BuildKit marks the
			// stage dispatched before running its commands, so that works
			// and is no dependency.
			if r.stage != i {
				refs = append(refs, r)
			}
		}
	}
	return refs, nil
}

// parseTrigger parses one ONBUILD expression as BuildKit's
// initOnBuildTriggers does.
func parseTrigger(expr string) (instructions.Command, error) {
	var cmd instructions.Command
	err := dfparse.Safely(func() error {
		res, err := parser.Parse(strings.NewReader(expr))
		if err != nil {
			return err
		}
		if len(res.AST.Children) != 1 {
			return errors.New("onbuild trigger should be a single expression")
		}
		cmd, err = instructions.ParseCommand(res.AST.Children[0])
		return err
	})
	return cmd, err
}
