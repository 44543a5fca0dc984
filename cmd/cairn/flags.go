package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/planner"
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

// loadBuild reads build.yaml (when there is one), applies the flags, and plans.
func loadBuild(c *cli.Context) (*config.Build, *planner.Plan, error) {
	file, err := loadConfig(c.String("config"))
	if err != nil {
		return nil, nil, err
	}
	args, err := parseBuildArgs(c.StringSlice("build-arg"))
	if err != nil {
		return nil, nil, usageError{err}
	}
	build, err := file.Resolve(config.Overrides{
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
	}, os.LookupEnv)
	if err != nil {
		return nil, nil, err
	}
	dockerfile, err := os.ReadFile(build.Dockerfile)
	if err != nil {
		return nil, nil, fmt.Errorf("read Dockerfile: %w", err)
	}
	plan, err := planner.New(dockerfile, build.PlanOptions())
	if err != nil {
		return nil, nil, err
	}
	return build, plan, nil
}

func loadConfig(path string) (*config.File, error) {
	if path != "" {
		return config.Load(path)
	}
	f, err := config.Load(config.DefaultFile)
	if errors.Is(err, os.ErrNotExist) {
		return config.Default(), nil
	}
	return f, err
}

func parseBuildArgs(values []string) (map[string]string, error) {
	args := make(map[string]string, len(values))
	for _, kv := range values {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			// As docker build does: a bare KEY takes its value from the environment.
			v, ok = os.LookupEnv(k)
			if !ok {
				continue
			}
		}
		if k == "" {
			return nil, fmt.Errorf("--build-arg %q: want KEY=VALUE", kv)
		}
		args[k] = v
	}
	return args, nil
}
