package main

import (
	"errors"
	"fmt"

	"github.com/moby/buildkit/solver/errdefs"
	"github.com/urfave/cli/v2"

	"github.com/cairn-build/cairn/pkg/bake"
	"github.com/cairn-build/cairn/pkg/cairn/options"
)

func bakeCommand() *cli.Command {
	return &cli.Command{
		Name:      "bake",
		ArgsUsage: "[TARGET|GROUP…]",
		Usage:     "read a docker buildx bake or compose project's targets: print them, or plan them all",
		Description: "Reads docker-bake.hcl, docker-bake.json or compose files as docker buildx bake does\n" +
			"(buildx's own resolver: the same file lookup, groups, inherits, variables, functions,\n" +
			"matrix, --set and environment overrides). --print prints the resolved targets in\n" +
			"buildx's --print shape; --plan plans every target's stages with cairn's cache refs\n" +
			"and says which stages targets share. Needs no daemon and no registry.",
		Flags: options.Bake(),
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
			plan, err := p.Plan(bake.PlanOptions{})
			if err != nil {
				return err
			}
			return plan.Write(c.App.Writer, c.String("format"))
		},
	}
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
