package main

import (
	"errors"
	"fmt"
	"slices"

	"github.com/moby/buildkit/solver/errdefs"
	"github.com/urfave/cli/v2"

	"github.com/cairn-build/cairn/pkg/bake"
	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/cairn/options"
	"github.com/cairn-build/cairn/pkg/render"
)

func bakeCommand() *cli.Command {
	return &cli.Command{
		Name:      "bake",
		ArgsUsage: "[TARGET|GROUP…]",
		Usage:     "build a bake or compose project's targets, publish them all or nothing",
		Description: "Reads docker-bake.hcl, docker-bake.json or compose files as docker buildx bake does\n" +
			"(buildx's own resolver: the same file lookup, groups, inherits, variables, functions,\n" +
			"matrix, --set and environment overrides). --print prints the resolved targets in\n" +
			"buildx's --print shape; --plan plans every target's stages with cairn's cache refs\n" +
			"and says which stages targets share (both need no daemon and no registry). Otherwise it\n" +
			"builds every target on the same daemon with cairn's per-stage caches and runs its checks;\n" +
			"with --push, one commit then moves every target's caches and tags, in all their\n" +
			"repositories, caches first and final tags last: a failure anywhere moves nothing.",
		Flags: slices.Concat(options.Bake(), options.BakeBuild()),
		Action: func(c *cli.Context) error {
			mode, err := options.BakeMode(c)
			if err != nil {
				return err
			}
			p, err := options.BakeLoad(c)
			if err != nil {
				printSource(c, err)
				return err
			}
			if mode == "print" {
				return p.WritePrint(c.App.Writer)
			}
			if mode == "build" {
				return bakeBuild(c, p)
			}
			plan, err := p.Plan(bake.PlanOptions{})
			if err != nil {
				return err
			}
			return plan.Write(c.App.Writer, c.String("format"))
		},
	}
}

// bakeBuild builds every target, publishes them with --push, and prints
// their reports.
func bakeBuild(c *cli.Context, bp *bake.Project) error {
	ps, err := options.BakeProjects(c, bp)
	if err != nil {
		return err
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	var reports []*cairn.Report
	err = options.OnDaemons(c, ps[0], options.Run(c), func(pool *cairn.Pool, opts cairn.RunOptions) (err error) {
		reports, err = cairn.RunAll(c.Context, pool, ps, opts)
		return err
	})
	return errors.Join(err, render.Bake(names, reports, options.Outputs(c)))
}

// printSource shows the lines of a bake file buildx's error points at.
func printSource(c *cli.Context, err error) {
	if !errors.As(err, new(*bake.FileError)) {
		return
	}
	for _, src := range errdefs.Sources(err) {
		_ = src.Print(c.App.ErrWriter)
		fmt.Fprintln(c.App.ErrWriter)
	}
}
