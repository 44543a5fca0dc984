package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/cairn/options"
	"github.com/cairn-build/cairn/pkg/render"
	"github.com/cairn-build/cairn/pkg/tiers"
)

func pruneCommand() *cli.Command {
	return &cli.Command{
		Name:      "prune",
		ArgsUsage: "[PATH]",
		Usage:     "delete the cache tags of branch tiers not written for a while",
		Description: "Lists the tags of the cache refs' repositories, finds each branch tier's caches and\n" +
			"cache mount snapshots through cache.ref and cache.mounts.ref (which must name {branch}),\n" +
			"and deletes the tiers whose stamp is older than --older-than. Protected tiers\n" +
			"(cache.protected), final tags and tags no cache template makes are never deleted.",
		Flags: append(options.Plan(),
			&cli.StringFlag{Name: "older-than", Required: true, Usage: "delete tiers last written longer ago than `AGE`: 14d, 2w, 36h"},
			&cli.BoolFlag{Name: "dry-run", Usage: "list the tags that would be deleted and the bytes freed, deleting nothing"},
		),
		Action: func(c *cli.Context) error {
			age, err := tiers.ParseAge(c.String("older-than"))
			if err != nil {
				return &options.UsageError{Err: fmt.Errorf("--older-than: %w", err)}
			}
			p, err := options.Load(c)
			if err != nil {
				return err
			}
			report, err := cairn.Prune(c.Context, p, cairn.PruneOptions{OlderThan: age, DryRun: c.Bool("dry-run")})
			if report != nil {
				err = errors.Join(err, render.Prune(c.App.Writer, report))
			}
			return err
		},
	}
}
