package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"
)

func buildCommand() *cli.Command {
	return &cli.Command{
		Name:  "build",
		Usage: "build every target's stages through BuildKit (not yet: validates the build description only)",
		Description: "Until building lands (issue #4), build reads build.yaml and the Dockerfile, plans,\n" +
			"reports any problem, and exits non-zero without building or pushing anything.",
		Flags: planFlags(),
		Action: func(c *cli.Context) error {
			_, plan, err := loadBuild(c)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.ErrWriter, "plan is valid: %d targets, %d stages\n", len(plan.Targets), len(plan.Stages))
			return errors.New("build: not implemented yet: input validated, nothing built or pushed")
		},
	}
}
