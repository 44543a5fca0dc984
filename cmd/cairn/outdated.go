package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/cairn/options"
	"github.com/cairn-build/cairn/pkg/render"
)

func outdatedCommand() *cli.Command {
	return &cli.Command{
		Name:      "outdated",
		ArgsUsage: "[PATH]",
		Usage:     "list the stages whose base moved since their cache was built (exit 3 if any did)",
		Description: "Reads, from each stage's cache ref, the base image digests `cairn build --push` recorded,\n" +
			"and compares them with the digests the bases' tags name now, on every platform the cache\n" +
			"was built for. Exits 0 when no base moved, 3 when one did (a rebuild would pick it up),\n" +
			"1 when a cache or a base could not be read. Needs no daemon: for scheduled rebuild jobs.",
		Flags: append(options.Plan(), &cli.StringFlag{Name: "format", Value: "text", Usage: "`FORMAT`: text or json"}),
		Action: func(c *cli.Context) error {
			format := c.String("format")
			if format != "text" && format != "json" {
				return &options.UsageError{Err: fmt.Errorf("--format %q: want text or json", format)}
			}
			p, err := options.Load(c)
			if err != nil {
				return err
			}
			changes, err := cairn.Outdated(c.Context, p, cairn.OutdatedOptions{Logger: render.NoteLogger(c.App.ErrWriter)})
			write := render.BaseChanges
			if format == "json" {
				write = render.BaseChangesJSON
			}
			if werr := write(c.App.Writer, changes); err == nil {
				err = werr
			}
			if err == nil {
				err = changes.Err()
			}
			return err
		},
	}
}
