package planner

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/cairn-build/cairn/internal/dfparse"
)

// ref is one COPY --from or RUN --mount source of a stage.
type ref struct {
	stage int    // referenced stage, or -1 for an image
	image string // image to pull when stage is -1 ("" for an index into BuildKit's image list)
	from  string // the --from / from= value as written
	line  int
	mount bool // RUN --mount (else COPY --from)
	// implicit marks a mount without from=: BuildKit still looks up a stage
	// named "scratch" for it, which only matters for cache mounts.
	implicit bool
}

// refScanner resolves --from values the way dockerfile2llb's toCommand and
// detectRunMount do. BuildKit appends every source that is not a stage to
// its list of states, and COPY --from=<index> indexes that list, so an index
// past the last stage names one of those images.
type refScanner struct {
	df    *dockerfile
	nodes int // stages plus image sources seen so far
}

// collectRefs returns the sources of every stage's commands, and the size
// of BuildKit's state list afterwards.
func (df *dockerfile) collectRefs() ([][]ref, int, error) {
	sc := &refScanner{df: df, nodes: len(df.Stages)}
	refs := make([][]ref, len(df.Stages))
	for i, st := range df.Stages {
		for _, cmd := range st.Commands {
			line := dfparse.RangeLine(cmd.Location())
			rs, err := sc.command(cmd, line)
			if err != nil {
				return nil, 0, wrapErr(df.File, line, "", err)
			}
			refs[i] = append(refs[i], rs...)
		}
	}
	return refs, sc.nodes, nil
}

// command returns the sources of one instruction.
func (sc *refScanner) command(cmd instructions.Command, line int) ([]ref, error) {
	switch c := cmd.(type) {
	case *instructions.CopyCommand:
		if c.From == "" {
			return nil, nil
		}
		r, err := sc.copyFrom(c.From, line)
		if err != nil {
			return nil, err
		}
		return []ref{r}, nil
	case *instructions.RunCommand:
		return sc.mounts(c, line)
	}
	return nil, nil
}

// copyFrom resolves COPY --from. BuildKit does not expand variables here:
// a value the shell lexer would change is an error.
func (sc *refScanner) copyFrom(from string, line int) (ref, error) {
	res, err := sc.df.expand(from, shell.EnvsFromSlice(nil))
	if err != nil {
		return ref{}, err
	}
	if res.Result != from {
		return ref{}, errors.New("variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround")
	}
	r := ref{stage: -1, from: from, line: line}
	index, err := strconv.Atoi(from)
	if err != nil {
		if i, ok := sc.df.Stage(from); ok {
			r.stage = i
			return r, nil
		}
		sc.nodes++
		r.image = from
		return r, nil
	}
	if index < 0 || index >= sc.nodes {
		return ref{}, fmt.Errorf("invalid stage index %d", index)
	}
	if index < len(sc.df.Stages) {
		r.stage = index
	}
	return r, nil
}

// mounts resolves RUN --mount from= values. Mount sources match stage names
// only, never indexes, and are never expanded (the instruction parser
// rejects "$" in from=).
func (sc *refScanner) mounts(c *instructions.RunCommand, line int) ([]ref, error) {
	var mounts []*instructions.Mount
	if err := dfparse.Safely(func() error { mounts = instructions.GetMounts(c); return nil }); err != nil {
		return nil, err
	}
	refs := make([]ref, 0, len(mounts))
	for _, m := range mounts {
		r := ref{stage: -1, from: m.From, line: line, mount: true, implicit: m.From == ""}
		from := m.From
		if r.implicit {
			from = dfparse.Scratch
		}
		if i, ok := sc.df.Stage(from); ok {
			r.stage = i
		} else {
			sc.nodes++
			r.image = from
		}
		refs = append(refs, r)
	}
	return refs, nil
}
