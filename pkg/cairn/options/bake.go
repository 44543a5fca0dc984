package options

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/cairn-build/cairn/pkg/bake"
	"github.com/cairn-build/cairn/pkg/cairn"
)

// Bake are the flags of cairn bake, named as docker buildx bake's.
func Bake() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "file", Aliases: []string{"f"}, Usage: "bake or compose `FILE` (repeatable; - is stdin; default: $BUILDX_BAKE_FILE, else buildx's lookup: compose.yaml, docker-compose.yml …, docker-bake.json, docker-bake.hcl and their override files)"},
		&cli.StringSliceFlag{Name: "set", Usage: "override a target's field: `TARGET.FIELD=VALUE` (repeatable; TARGET may be a pattern such as *; FIELD+=VALUE appends)"},
		&cli.BoolFlag{Name: "print", Usage: "print the resolved targets as JSON, as docker buildx bake --print does; builds nothing"},
		&cli.BoolFlag{Name: "plan", Usage: "show every target's stages, cache refs and tags, and the stages targets share; builds nothing"},
		&cli.StringFlag{Name: "format", Value: "text", Usage: "format of --plan: text, json or dot"},
	}
}

// BakeLoad reads the bake definition the flags name, resolving the
// command's arguments (TARGET|GROUP…; none is "default").
func BakeLoad(c *cli.Context) (*bake.Project, error) {
	p, err := bake.Load(c.Context, bake.Options{
		Files:   c.StringSlice("file"),
		Targets: c.Args().Slice(),
		Set:     c.StringSlice("set"),
		Stdin:   c.App.Reader,
	})
	// Naming no file or an unknown target is a mistake in the command line.
	if errors.As(err, new(*bake.UnknownTargetError)) || errors.As(err, new(*bake.NotFoundError)) {
		return nil, &cairn.UsageError{Err: err}
	}
	return p, err
}

// BakeMode is what cairn bake was asked to do: "print" or "plan".
func BakeMode(c *cli.Context) (string, error) {
	switch {
	case c.Bool("print") && c.Bool("plan"):
		return "", &cairn.UsageError{Err: errors.New("--print and --plan: give one")}
	case c.IsSet("format") && !c.Bool("plan"):
		return "", &cairn.UsageError{Err: errors.New("--format is --plan's: add --plan")}
	case c.Bool("print"):
		return "print", nil
	case c.Bool("plan"):
		if f := c.String("format"); f != "text" && f != "json" && f != "dot" {
			return "", &cairn.UsageError{Err: fmt.Errorf("--format %q: want text, json or dot", f)}
		}
		return "plan", nil
	}
	return "", &cairn.UsageError{Err: errors.New("cairn bake builds nothing yet: give --print (the resolved targets) or --plan (their stages and cache refs)")}
}
