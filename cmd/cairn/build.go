package main

import (
	"errors"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/cairn/options"
	"github.com/cairn-build/cairn/pkg/render"
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
		Flags: append(slices.Concat(options.Build(), options.Attest()),
			&cli.BoolFlag{Name: "push", Category: options.GroupPublish, Usage: "publish: stage by digest while building, then move cache and final tags, all or nothing"},
			&cli.BoolFlag{Name: "dry-run", Category: options.GroupPublish, Usage: "print the tags --push would move, from their current digest, without building"},
			&cli.BoolFlag{Name: "force", Category: options.GroupPublish, Usage: "with --push: overwrite final tags another publisher moved while this one built"},
			options.NoSkip(),
		),
		Action: func(c *cli.Context) error {
			if c.Bool("dry-run") {
				return dryRun(c)
			}
			return execute(c, options.Run(c))
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
		Flags: options.Build(),
		Action: func(c *cli.Context) error {
			return execute(c, options.Run(c)) // check has no --push: it publishes nothing
		},
	}
}

// execute loads the project, runs the pipeline and prints its report.
func execute(c *cli.Context, opts cairn.RunOptions) error {
	p, err := options.Load(c)
	if err != nil {
		return err
	}
	var report *cairn.Report
	err = options.OnDaemons(c, p, opts, func(pool *cairn.Pool, opts cairn.RunOptions) (err error) {
		report, err = pool.Run(c.Context, p, opts)
		return err
	})
	if report == nil {
		return err
	}
	return errors.Join(err, render.Outputs(report, options.Outputs(c)))
}

// dryRun prints every tag --push would move and where it points now.
func dryRun(c *cli.Context) error {
	p, err := options.Load(c)
	if err != nil {
		return err
	}
	moves, err := cairn.DryRun(c.Context, p, cairn.RunOptions{})
	if err != nil {
		return err
	}
	return render.DryRun(c.App.Writer, moves)
}
