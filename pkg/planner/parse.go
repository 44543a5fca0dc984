package planner

import (
	"errors"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/cairn-build/cairn/internal/dfparse"
)

// dockerfile is a parsed Dockerfile and its stage names.
type dockerfile struct {
	file   string
	stages []instructions.Stage
	meta   []instructions.ArgCommand // global ARGs, before the first FROM
	lex    *shell.Lex
	names  []string       // canonical name per stage: AS name or index
	byName map[string]int // AS name (lowercase, as BuildKit stores it) → index
}

// parse runs BuildKit's parser and instruction parser over dt.
func parse(dt []byte, file string) (*dockerfile, error) {
	if len(dt) == 0 {
		return nil, errorf(file, 0, "the Dockerfile cannot be empty")
	}
	parsed, err := dfparse.Parse(dt)
	if err != nil {
		return nil, wrapErr(file, 0, "parse Dockerfile", err)
	}
	res, stages, meta := parsed.Result, parsed.Stages, parsed.Meta
	if len(stages) == 0 {
		return nil, wrapErr(file, 0, "parse Dockerfile", errors.New("dockerfile contains no stages to build"))
	}
	df := &dockerfile{
		file:   file,
		stages: stages,
		meta:   meta,
		lex:    shell.NewLex(res.EscapeToken),
		names:  make([]string, len(stages)),
		byName: make(map[string]int, len(stages)),
	}
	return df, df.indexNames()
}

// indexNames names every stage and rejects duplicate AS names. BuildKit
// only warns about duplicates (the last one wins for later lookups), but
// per-stage cache refs need unique names.
func (df *dockerfile) indexNames() error {
	for i, st := range df.stages {
		df.names[i] = strconv.Itoa(i)
		if st.Name == "" {
			continue
		}
		if j, ok := df.byName[st.Name]; ok {
			return errorf(df.file, df.stageLine(i), "duplicate stage name %q (first defined on line %d)", st.Name, df.stageLine(j))
		}
		df.byName[st.Name] = i
		df.names[i] = st.Name
	}
	return nil
}

// stageLine is the line of stage i's FROM instruction.
func (df *dockerfile) stageLine(i int) int {
	return dfparse.RangeLine(df.stages[i].Location)
}

// findStage looks a stage up by name the way COPY --from and RUN --mount
// from= do in BuildKit: case-insensitively, by AS name only.
func (df *dockerfile) findStage(name string) (int, bool) {
	i, ok := df.byName[strings.ToLower(name)]
	return i, ok
}

// lookupTarget finds a target by AS name (case-insensitive) or by index.
func (df *dockerfile) lookupTarget(name string) (int, bool) {
	if i, ok := df.findStage(name); ok {
		return i, true
	}
	i, err := strconv.Atoi(name)
	if err != nil || strconv.Itoa(i) != name || i < 0 || i >= len(df.stages) {
		return 0, false
	}
	return i, true
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
