package main

import (
	"github.com/urfave/cli/v2"

	"github.com/cairn-build/cairn/pkg/cairn"
)

// planFlags are the flags of every command that plans: each overrides build.yaml.
func planFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "build description (default: build.yaml when present)"},
		&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Usage: "Dockerfile path (default: build.yaml's, else Dockerfile)"},
		&cli.StringFlag{Name: "context", Usage: "build context directory (default: build.yaml's, else .)"},
		&cli.StringSliceFlag{Name: "target", Usage: "target stage to build (repeatable; default: build.yaml's targets, else the last stage)"},
		&cli.StringSliceFlag{Name: "build-arg", Usage: "build arg `KEY=VALUE` (repeatable)"},
		&cli.StringFlag{Name: "repository", Usage: "repository tags and caches derive from, e.g. registry.example.com/team/app"},
		&cli.StringSliceFlag{Name: "tag", Aliases: []string{"t"}, Usage: "final tag of every selected target (repeatable), as in docker build: `REF` (registry/app:v1) or a bare tag under --repository"},
		&cli.StringFlag{Name: "cache-mode", Usage: "inline, max or off"},
		&cli.StringFlag{Name: "cache-ref", Usage: "cache ref template, e.g. {repository}:cache-{branch}-{stage}"},
		&cli.StringFlag{Name: "cache-write", Usage: "which builds write the cache: auto (all but pull requests), branch (also pull requests) or none"},
		&cli.StringFlag{Name: "branch", Usage: "the build's branch, for {branch} and cache.protected (default: the CI's branch variable, else the checkout's)"},
		&cli.StringSliceFlag{Name: "platform", Usage: "target platform (repeatable), e.g. linux/amd64"},
		&cli.StringSliceFlag{Name: "insecure-registry", Usage: "registry `HOST[:PORT]` reached over plain HTTP (repeatable; loopback ones always are)"},
	}
}

// load reads build.yaml (when there is one), applies the flags, and plans.
// A PATH argument is the build context, as in `docker build PATH`.
func load(c *cli.Context) (*cairn.Project, error) {
	path, err := contextArg(c)
	if err != nil {
		return nil, err
	}
	opts, err := cairn.LoadOptionsFromFlags(c, path)
	if err != nil {
		return nil, err
	}
	return cairn.Load(c.Context, opts)
}

// outputFlags say how a build shows its progress and where its record goes.
func outputFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "progress", Value: "auto", Usage: "progress display: auto, tty, plain, rawjson or quiet"},
		&cli.StringFlag{Name: "metadata-file", Usage: "write per-stage digests, cache refs, durations, checks and tags as JSON to `FILE`"},
		&cli.StringFlag{Name: "source-date-epoch", Usage: "clamp image times to `SECONDS`, git (the context's commit time) or off (default: $SOURCE_DATE_EPOCH, else git)"},
		&cli.BoolFlag{Name: "rewrite-timestamp", Usage: "also clamp the times of files in new layers to the source date epoch (slower)"},
	}
}

// refreshFlag overrides build.yaml's baseImages.refresh.
func refreshFlag() cli.Flag {
	return &cli.BoolFlag{Name: "refresh-bases", Value: true, Usage: "check base images against the digests the stage caches were built on, record them, and rebuild a stage whose base moved with --pull (--refresh-bases=false: leave bases to BuildKit; default: build.yaml's baseImages.refresh, else on)"}
}
