package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/cairn-build/cairn/pkg/cairn"
)

func buildCommand() *cli.Command {
	return &cli.Command{
		Name:      "build",
		ArgsUsage: "[PATH]",
		Usage:     "build every stage the targets need through BuildKit, with per-stage remote caches",
		Description: "Solves every planned stage on one BuildKit daemon, each as soon as the stages it\n" +
			"depends on are done, importing the caches the plan lists (a missing one is a note).\n" +
			"Without --push nothing is written to any registry. With --push, images and caches are\n" +
			"uploaded by digest while building, and tags move only when every stage succeeded:\n" +
			"cache tags first, final tags last; if a tag cannot be moved, the moved ones are put back.",
		Flags: append(append(planFlags(), outputFlags()...), append(daemonFlags(),
			&cli.BoolFlag{Name: "push", Usage: "publish: stage by digest while building, then move cache and final tags, all or nothing"},
			&cli.BoolFlag{Name: "dry-run", Usage: "print the tags --push would move, from their current digest, without building"},
			&cli.BoolFlag{Name: "force", Usage: "with --push: overwrite final tags another publisher moved while this one built"},
		)...),
		Action: func(c *cli.Context) error {
			if c.Bool("dry-run") {
				return dryRun(c)
			}
			return execute(c, cairn.RunOptions{Push: c.Bool("push"), Force: c.Bool("force")})
		},
	}
}

func checkCommand() *cli.Command {
	return &cli.Command{
		Name:      "check",
		ArgsUsage: "[PATH]",
		Usage:     "build the targets and run their checks (build.yaml checks:), publishing nothing",
		Description: "Lints the Dockerfile, builds every stage the targets need, and runs each target's\n" +
			"file, metadata, command and efficiency checks on its image (commands run inside\n" +
			"BuildKit: no Docker engine needed). Exits non-zero when an error-level check fails;\n" +
			"`cairn build --push` runs the same checks and publishes nothing unless they pass.",
		Flags:  append(append(planFlags(), outputFlags()...), daemonFlags()...),
		Action: func(c *cli.Context) error { return execute(c, cairn.RunOptions{}) },
	}
}

// execute loads the project, runs the pipeline and prints its report.
func execute(c *cli.Context, opts cairn.RunOptions) error {
	p, err := load(c)
	if err != nil {
		return err
	}
	if opts.Push {
		if err := p.Publishable(); err != nil {
			return err // before dialing: the daemon is not the problem
		}
	}
	display, err := cairn.NewDisplay(c.Context, c.App.ErrWriter, c.String("progress"))
	if err != nil {
		return usageError{fmt.Errorf("--progress: %w", err)}
	}
	bk, err := dial(c)
	if err != nil {
		display.Close()
		return err
	}
	defer bk.Close()
	opts.Status, opts.Logger = display.Status(), cairn.NoteLogger(c.App.ErrWriter)
	report, err := cairn.Run(c.Context, bk, p, opts)
	display.Close()
	if report == nil {
		return err
	}
	// As buildx does: the warnings again after the display, also when quiet.
	err = errors.Join(err, report.WriteWarnings(c.App.ErrWriter))
	out := c.App.Writer
	if len(report.Stages) == 0 {
		out = c.App.ErrWriter // the lint stopped the run: its findings explain the error
	}
	err = errors.Join(err, report.Show(out))
	path := c.String("metadata-file")
	if path != "" && len(report.Stages) > 0 {
		err = errors.Join(err, report.WriteFile(path))
	}
	return errors.Join(err, report.WriteGitHub(os.LookupEnv, path))
}

// dryRun prints every tag --push would move and where it points now.
func dryRun(c *cli.Context) error {
	p, err := load(c)
	if err != nil {
		return err
	}
	moves, err := cairn.DryRun(c.Context, p, cairn.RunOptions{})
	if err != nil {
		return err
	}
	return cairn.WriteDryRun(c.App.Writer, moves)
}
