package planner

import (
	"errors"

	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/cairn-build/cairn/internal/dfparse"
)

// dockerfile is the parsed Dockerfile the planner works on.
type dockerfile struct {
	*dfparse.Dockerfile
	// lex expands words for the planner (a field so a test can make it
	// panic).
	lex *shell.Lex
}

// parse runs BuildKit's parser and instruction parser over dt and rejects
// duplicate stage names.
func parse(dt []byte, file string) (*dockerfile, error) {
	parsed, err := dfparse.Parse(file, dt)
	switch {
	case errors.Is(err, dfparse.ErrEmpty):
		return nil, errorf(file, 0, "%v", err)
	case err != nil:
		return nil, wrapErr(file, 0, "parse Dockerfile", err)
	}
	df := &dockerfile{Dockerfile: parsed, lex: shell.NewLex(parsed.Result.EscapeToken)}
	// BuildKit only warns about duplicate names (the last one wins for
	// later lookups), but per-stage cache refs need unique names.
	if first, dup, ok := df.Duplicate(); ok {
		return nil, errorf(file, df.StageLine(dup), "duplicate stage name %q (first defined on line %d)", df.Stages[dup].Name, df.StageLine(first))
	}
	return df, nil
}

// expand runs BuildKit's shell lexer over word, recovering from panics.
func (df *dockerfile) expand(word string, env shell.EnvGetter) (shell.ProcessWordResult, error) {
	var res shell.ProcessWordResult
	err := dfparse.Safely(func() error {
		var err error
		res, err = df.lex.ProcessWordWithMatches(word, env)
		return err
	})
	return res, err
}
