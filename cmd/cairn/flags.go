package main

import (
	"os"

	"github.com/urfave/cli/v2"

	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/config"
)

// planFlags are the flags of every command that plans: each overrides build.yaml.
func planFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "build description (default: build.yaml when present)"},
		&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Usage: "Dockerfile path (default: build.yaml's, else Dockerfile)"},
		&cli.StringFlag{Name: "context", Usage: "build context directory (default: build.yaml's, else .)"},
		&cli.StringSliceFlag{Name: "target", Aliases: []string{"t"}, Usage: "target stage to build (repeatable; default: build.yaml's targets, else the last stage)"},
		&cli.StringSliceFlag{Name: "build-arg", Usage: "build arg `KEY=VALUE` (repeatable)"},
		&cli.StringFlag{Name: "repository", Usage: "repository tags and caches derive from, e.g. registry.example.com/team/app"},
		&cli.StringSliceFlag{Name: "tag", Usage: "final tag of every selected target (repeatable): a bare tag goes under --repository"},
		&cli.StringFlag{Name: "cache-mode", Usage: "inline, max or off"},
		&cli.StringFlag{Name: "cache-ref", Usage: "cache ref template, e.g. {repository}:cache-{stage}"},
		&cli.StringSliceFlag{Name: "platform", Usage: "target platform (repeatable), e.g. linux/amd64"},
		&cli.StringSliceFlag{Name: "insecure-registry", Usage: "registry `HOST[:PORT]` reached over plain HTTP (repeatable; loopback ones always are)"},
	}
}

// load reads build.yaml (when there is one), applies the flags, and plans.
func load(c *cli.Context) (*cairn.Project, error) {
	args, err := cairn.ParseBuildArgs(c.StringSlice("build-arg"), os.LookupEnv)
	if err != nil {
		return nil, usageError{err}
	}
	return cairn.Load(cairn.LoadOptions{
		Config: c.String("config"),
		Overrides: config.Overrides{
			Dockerfile: c.String("file"),
			Context:    c.String("context"),
			Repository: c.String("repository"),
			Args:       args,
			Platforms:  c.StringSlice("platform"),
			CacheMode:  c.String("cache-mode"),
			CacheRef:   c.String("cache-ref"),
			Targets:    c.StringSlice("target"),
			Tags:       c.StringSlice("tag"),

			InsecureRegistries: c.StringSlice("insecure-registry"),
		},
	})
}

// outputFlags say how a build shows its progress and where its record goes.
func outputFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "progress", Value: "auto", Usage: "progress display: auto, tty, plain, rawjson or quiet"},
		&cli.StringFlag{Name: "metadata-file", Usage: "write per-stage digests, cache refs, durations, checks and tags as JSON to `FILE`"},
	}
}
