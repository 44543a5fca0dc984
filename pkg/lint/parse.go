package lint

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/cairn-build/cairn/internal/dfparse"
)

// dockerfile is a parsed Dockerfile with the stage graph the rules need.
type dockerfile struct {
	file   string
	stages []instructions.Stage
	meta   []instructions.ArgCommand // global ARGs, before the first FROM
	lex    *shell.Lex
	// bases holds each stage's FROM with global ARGs expanded ("" when
	// expansion failed); baseStage the earlier stage it names, or -1.
	bases     []string
	baseStage []int
	final     int // the stage that is the final image
}

// parse runs BuildKit's parser and instruction parser over dt, finds the
// final stage and resolves every stage's base.
func parse(dt []byte, opts *Options) (*dockerfile, error) {
	file := opts.Filename
	if len(dt) == 0 {
		return nil, &ParseError{File: file, Msg: "the Dockerfile cannot be empty"}
	}
	parsed, err := dfparse.Parse(dt)
	if err != nil {
		return nil, parseErr(file, "parse Dockerfile", err)
	}
	res, stages, meta := parsed.Result, parsed.Stages, parsed.Meta
	if len(stages) == 0 {
		return nil, parseErr(file, "parse Dockerfile", errors.New("dockerfile contains no stages to build"))
	}
	df := &dockerfile{file: file, stages: stages, meta: meta, lex: shell.NewLex(res.EscapeToken)}
	if df.final, err = df.lookupTarget(opts.Target); err != nil {
		return nil, err
	}
	df.resolveBases(opts.BuildArgs)
	return df, nil
}

// resolveBases mirrors BuildKit: a FROM names a stage only if an earlier
// stage has exactly that (lowercase) AS name after ARG expansion.
func (df *dockerfile) resolveBases(buildArgs map[string]string) {
	env := df.globalArgs(buildArgs)
	df.bases = make([]string, len(df.stages))
	df.baseStage = make([]int, len(df.stages))
	for i, st := range df.stages {
		df.bases[i], _ = df.expand(st.BaseName, env)
		df.baseStage[i] = -1
		for j := range i {
			if df.bases[i] != "" && df.stages[j].Name == df.bases[i] {
				df.baseStage[i] = j
			}
		}
	}
}

// globalArgs is BuildKit's automatic ARGs (for the fixed lint platform
// and the final stage) then the global ARGs in order, a build arg beating
// a default.
func (df *dockerfile) globalArgs(buildArgs map[string]string) []string {
	var env []string
	for _, kv := range platformArgs(df.stages[df.final].Name) {
		if v, ok := buildArgs[kv[0]]; ok {
			kv[1] = v
		}
		env = append(env, kv[0]+"="+kv[1])
	}
	for _, cmd := range df.meta {
		for _, kv := range cmd.Args {
			v, ok := buildArgs[kv.Key]
			if !ok && kv.Value != nil {
				v, ok = df.expand(*kv.Value, env)
			}
			if ok {
				env = append(env, kv.Key+"="+v)
			}
		}
	}
	return env
}

// expand runs BuildKit's shell lexer over word; ok is false when it fails.
func (df *dockerfile) expand(word string, env []string) (string, bool) {
	var out string
	err := dfparse.Safely(func() error {
		var err error
		out, _, err = df.lex.ProcessWord(word, shell.EnvsFromSlice(env))
		return err
	})
	return out, err == nil
}

// lookupTarget finds the final stage: target by AS name (any case) or
// index, the last stage when target is "".
func (df *dockerfile) lookupTarget(target string) (int, error) {
	if target == "" {
		return len(df.stages) - 1, nil
	}
	for i, st := range df.stages {
		if st.Name != "" && strings.EqualFold(st.Name, target) {
			return i, nil
		}
	}
	if i, err := strconv.Atoi(target); err == nil && strconv.Itoa(i) == target && i >= 0 && i < len(df.stages) {
		return i, nil
	}
	return 0, fmt.Errorf("lint: %s: unknown target %q", df.file, target)
}

// chain is stage i followed by the stages it is built FROM, nearest first.
func (df *dockerfile) chain(i int) []int {
	out := []int{i}
	for df.baseStage[i] >= 0 {
		i = df.baseStage[i]
		out = append(out, i)
	}
	return out
}

// stageLine is the line of stage i's FROM instruction.
func (df *dockerfile) stageLine(i int) int {
	return dfparse.RangeLine(df.stages[i].Location)
}
