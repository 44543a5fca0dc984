package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/cairn-build/cairn/pkg/cairn/options"
)

func planCommand() *cli.Command {
	return &cli.Command{
		Name:      "plan",
		ArgsUsage: "[PATH]",
		Usage:     "show the stages each target needs, their build order and cache refs; builds nothing",
		Description: "Parses the Dockerfile with BuildKit's parser and build.yaml, and prints which stages\n" +
			"each target needs, which can build in parallel (level), which cache refs each stage\n" +
			"imports and exports, and which tags would move. Needs no daemon and no registry.",
		Flags: append(options.Plan(), &cli.StringFlag{Name: "format", Value: "text", Usage: "`FORMAT`: text, json or dot"}),
		Action: func(c *cli.Context) error {
			p, err := options.Load(c)
			if err != nil {
				return err
			}
			plan := p.Plan
			w := c.App.Writer
			switch format := c.String("format"); format {
			case "text":
				for _, note := range p.Config.Notes {
					fmt.Fprintln(c.App.ErrWriter, "note:", note)
				}
				if len(p.Config.Platforms) == 0 {
					fmt.Fprintf(c.App.ErrWriter, "note: planned for %s, this machine's platform; `cairn build` plans for the daemon's (--platform plans for another)\n", p.TargetPlatforms()[0])
				}
				return plan.WriteText(w)
			case "json":
				return plan.WriteJSON(w)
			case "dot":
				return plan.WriteDOT(w)
			default:
				return &options.UsageError{Err: fmt.Errorf("--format %q: want text, json or dot", format)}
			}
		},
	}
}
