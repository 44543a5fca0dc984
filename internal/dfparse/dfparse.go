// Package dfparse is cairn's one model of a Dockerfile, shared by the
// planner and lint: BuildKit's parse of it, its stages and their names,
// the automatic platform ARGs, the global ARGs and every stage's base, as
// dockerfile2llb evaluates them. A panic inside BuildKit becomes an error
// (its parser has panicked on odd input before, and cairn must not crash),
// and errors give the line BuildKit attached to them.
package dfparse

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// Errors of Parse that are not BuildKit's.
var (
	ErrEmpty    = errors.New("the Dockerfile cannot be empty")
	ErrNoStages = errors.New("dockerfile contains no stages to build")
)

// Dockerfile is a Dockerfile as BuildKit's parsers see it.
type Dockerfile struct {
	File   string // for errors
	Result *parser.Result
	Stages []instructions.Stage
	Meta   []instructions.ArgCommand // global ARGs, before the first FROM
	// Names are the canonical stage names: the AS name, or the index for
	// an unnamed stage.
	Names []string

	lex    *shell.Lex
	byName map[string]int // AS name → index; the last stage wins, as in BuildKit
}

// Parse runs BuildKit's parser and instruction parser over dt, the
// contents of file. It fails with ErrEmpty, ErrNoStages or BuildKit's
// error.
func Parse(file string, dt []byte) (*Dockerfile, error) {
	if len(dt) == 0 {
		return nil, ErrEmpty
	}
	df := &Dockerfile{File: file}
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
	if len(df.Stages) == 0 {
		return nil, ErrNoStages
	}
	df.lex = shell.NewLex(df.Result.EscapeToken)
	df.Names = make([]string, len(df.Stages))
	df.byName = make(map[string]int, len(df.Stages))
	for i, st := range df.Stages {
		df.Names[i] = strconv.Itoa(i)
		if st.Name != "" {
			df.Names[i] = st.Name
			df.byName[st.Name] = i
		}
	}
	return df, nil
}

// Duplicate finds the first stage whose AS name an earlier stage already
// has: BuildKit only warns about it (the last one wins for lookups).
func (df *Dockerfile) Duplicate() (first, dup int, ok bool) {
	seen := make(map[string]int, len(df.Stages))
	for i, st := range df.Stages {
		if st.Name == "" {
			continue
		}
		if j, ok := seen[st.Name]; ok {
			return j, i, true
		}
		seen[st.Name] = i
	}
	return 0, 0, false
}

// Stage looks a stage up by AS name the way COPY --from, RUN --mount
// from= and --target do in BuildKit: case-insensitively, the last stage
// of that name winning.
func (df *Dockerfile) Stage(name string) (int, bool) {
	i, ok := df.byName[strings.ToLower(name)]
	return i, ok
}

// Target finds a target by AS name (case-insensitive) or by index.
func (df *Dockerfile) Target(name string) (int, bool) {
	if i, ok := df.Stage(name); ok {
		return i, true
	}
	i, err := strconv.Atoi(name)
	if err != nil || strconv.Itoa(i) != name || i < 0 || i >= len(df.Stages) {
		return 0, false
	}
	return i, true
}

// StageLine is the line of stage i's FROM instruction.
func (df *Dockerfile) StageLine(i int) int {
	return RangeLine(df.Stages[i].Location)
}

// Expander expands a word with env as BuildKit's shell lexer does.
// (*Dockerfile).Expand is the one to use; tests pass others.
type Expander func(word string, env shell.EnvGetter) (shell.ProcessWordResult, error)

// Expand runs BuildKit's shell lexer, with the Dockerfile's escape token,
// over word, recovering from panics.
func (df *Dockerfile) Expand(word string, env shell.EnvGetter) (shell.ProcessWordResult, error) {
	var res shell.ProcessWordResult
	err := Safely(func() error {
		var err error
		res, err = df.lex.ProcessWordWithMatches(word, env)
		return err
	})
	return res, err
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

// CacheID is the ID BuildKit gives a RUN --mount=type=cache directory, as
// dockerfile2llb's dispatchRunMounts does: its id, else its target
// cleaned, under the BUILDKIT_CACHE_MOUNT_NS namespace ns.
func CacheID(m *instructions.Mount, ns string) string {
	id := m.CacheID
	if id == "" {
		id = path.Clean(m.Target)
	}
	return ns + "/" + id
}
