package main

import (
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/cairn/options"
	"github.com/cairn-build/cairn/pkg/render"
)

func recoverCommand() *cli.Command {
	return &cli.Command{
		Name:      "recover",
		ArgsUsage: "[PATH]",
		Usage:     "roll back the tags of a commit that a killed cairn left unfinished",
		Description: "Rolls back each commit whose publisher died during it (see README, \"Publishing\"); a commit\n" +
			"still in progress is left alone. `cairn build --push` does this first.",
		Flags: options.Plan(),
		Action: func(c *cli.Context) error {
			p, err := options.Load(c)
			if err != nil {
				return err
			}
			found, err := cairn.Recover(c.Context, p, cairn.RunOptions{})
			return errors.Join(err, render.Recoveries(c.App.Writer, found))
		},
	}
}
