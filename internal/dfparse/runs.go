package dfparse

import (
	"iter"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

// Run is one RUN instruction, with what rules about RUNs need.
type Run struct {
	Stage int // index of its stage
	Line  int
	Cmd   *instructions.RunCommand
	// Exec is true for exec form, RUN ["prog", "arg"]; false for shell form.
	Exec bool
	// Shell is the SHELL in effect, inherited from the stage a stage is
	// built FROM; nil means BuildKit's default, /bin/sh -c. Only shell form
	// runs in it.
	Shell []string
	// Mounts are the --mount flags, parsed without expanding variables
	// ($VAR stays as written); nil when there are none or they do not parse.
	Mounts []*instructions.Mount
}

// Runs walks every RUN in Dockerfile order. bases are the stages' bases
// (ResolveBase), for SHELL inheritance; nil means no stage inherits one.
func (df *Dockerfile) Runs(bases []Base) iter.Seq[Run] {
	return func(yield func(Run) bool) {
		shells := make([][]string, len(df.Stages)) // SHELL at the end of each stage
		for i, st := range df.Stages {
			var sh []string
			if i < len(bases) && bases[i].Stage >= 0 {
				sh = shells[bases[i].Stage]
			}
			for _, c := range st.Commands {
				switch c := c.(type) {
				case *instructions.ShellCommand:
					sh = c.Shell
				case *instructions.RunCommand:
					if !yield(NewRun(i, c, sh)) {
						return
					}
				}
			}
			shells[i] = sh
		}
	}
}

// NewRun describes one RUN of stage i; sh is the SHELL in effect (nil:
// BuildKit's default). Runs uses it; rules that walk every instruction
// themselves call it for theirs.
func NewRun(i int, c *instructions.RunCommand, sh []string) Run {
	return Run{Stage: i, Line: RangeLine(c.Location()), Cmd: c, Exec: !c.PrependShell, Shell: sh, Mounts: mounts(c)}
}

// mounts parses a RUN's --mount flags. BuildKit parses them fully only
// when the command is expanded; an identity expander does that without
// touching variables.
func mounts(run *instructions.RunCommand) []*instructions.Mount {
	var out []*instructions.Mount
	err := Safely(func() error {
		if err := run.Expand(func(w string) (string, error) { return w, nil }); err != nil {
			return err
		}
		out = instructions.GetMounts(run)
		return nil
	})
	if err != nil {
		return nil
	}
	return out
}
