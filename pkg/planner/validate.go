package planner

import (
	"fmt"

	"github.com/distribution/reference"

	"github.com/cairn-build/cairn/internal/dfparse"
)

// checkCycles mirrors dockerfile2llb's validateCircularDependency over the
// COPY --from and RUN --mount edges (a FROM can only name an earlier stage,
// so it never closes a cycle). BuildKit checks every stage, reachable or
// not, and so does this; a stage referring to itself is a cycle.
func (df *dockerfile) checkCycles(refs [][]ref) error {
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]int, len(df.Stages))
	var visit func(i int) (line int, found bool)
	visit = func(i int) (int, bool) {
		state[i] = onPath
		for _, r := range refs[i] {
			if r.stage < 0 {
				continue
			}
			switch state[r.stage] {
			case onPath:
				return r.line, true
			case unseen:
				// Report the edge leaving i, so the root's line wins, as
				// in BuildKit.
				if _, found := visit(r.stage); found {
					return r.line, true
				}
			}
		}
		state[i] = done
		return 0, false
	}
	for i := range df.Stages {
		if state[i] != unseen {
			continue
		}
		if line, found := visit(i); found {
			return errorf(df.File, line, "circular dependency detected on stage %q", df.Names[i])
		}
	}
	return nil
}

// checkImage mirrors the reference check BuildKit makes before resolving any
// image it would pull, reachable or not.
func (df *dockerfile) checkImage(name string, line int) error {
	if name == "" || name == dfparse.Scratch {
		return nil
	}
	if _, err := reference.ParseNormalizedNamed(name); err != nil {
		return wrapErr(df.File, line, fmt.Sprintf("failed to parse stage name %q", name), err)
	}
	return nil
}

// checkBaseImages checks every FROM that names an image.
func (df *dockerfile) checkBaseImages(r *resolution) error {
	for i, b := range r.bases {
		if b.Stage >= 0 {
			continue
		}
		if err := df.checkImage(b.Name, df.StageLine(i)); err != nil {
			return err
		}
	}
	return nil
}

// checkRefImages checks every --from that names an image.
func (df *dockerfile) checkRefImages(refs [][]ref) error {
	for _, rs := range refs {
		for _, r := range rs {
			if err := df.checkImage(r.image, r.line); err != nil {
				return err
			}
		}
	}
	return nil
}
