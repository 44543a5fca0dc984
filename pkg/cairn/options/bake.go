package options

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cairn-build/cairn/pkg/bake"
	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/config"
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

// BakeBuild are the flags of cairn bake when it builds: the daemons, the
// output, and publishing every target in one commit.
func BakeBuild() []cli.Flag {
	return slices.Concat(Daemon(), Output(), []cli.Flag{
		&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Category: GroupBuild, Usage: "cairn's policy `FILE` for the targets: build.yaml's top level and its bake: map by target name (default: the build.yaml beside the first bake file, when there is one)"},
		&cli.BoolFlag{Name: "push", Category: GroupPublish, Usage: "publish every target: stage by digest while building, then move the caches and final tags of all targets, in all their repositories, in one commit: all or nothing"},
		&cli.BoolFlag{Name: "load", Category: GroupOutput, Usage: "load each target into the Docker engine (docker load)"},
		&cli.BoolFlag{Name: "force", Category: GroupPublish, Usage: "with --push: overwrite final tags another publisher moved while this one built"},
		&cli.StringSliceFlag{Name: "insecure-registry", Category: GroupRegistry, Usage: "registry `HOST[:PORT]` reached over plain HTTP (repeatable; loopback ones always are)"},
		&cli.StringSliceFlag{Name: "registry-mirror", Category: GroupRegistry, Usage: "read a registry's images from `[REGISTRY=]MIRROR` first, as the daemon's mirrors (repeatable; REGISTRY: docker.io)"},
		NoSkip(),
	})
}

// BakeProjects loads every target cairn builds for the bake definition
// (bake.Project.Builds: linked targets first). Their policy is the
// build.yaml beside the first bake file, or --config's: its top level and
// its bake: entry for the target (config.File.ForBake); without one,
// cairn's defaults. The bake file gives the rest.
func BakeProjects(c *cli.Context, bp *bake.Project) ([]*cairn.Project, error) {
	builds, err := bp.Builds()
	if err != nil {
		return nil, err
	}
	file, err := bakeConfig(c, bp)
	if err != nil {
		return nil, err
	}
	var ps []*cairn.Project
	for _, b := range builds {
		o := b.Overrides
		o.InsecureRegistries = c.StringSlice("insecure-registry")
		o.RegistryMirrors = c.StringSlice("registry-mirror")
		o.Docker.Load = c.Bool("load")
		p, err := cairn.Load(c.Context, cairn.LoadOptions{File: file.ForBake(b.Target.Name, b.Stage), Overrides: o, SourceDateEpoch: c.String("source-date-epoch")})
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", b.Target.Name, err)
		}
		p.Name, p.Links = b.Target.Name, b.Links
		if p.Config.Solve.Contexts == nil {
			p.Config.Solve.Contexts = map[string]string{}
		}
		ps = append(ps, p)
	}
	return ps, nil
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
		return nil, &UsageError{Err: err}
	}
	return p, err
}

// BakeMode is what cairn bake was asked to do: "print", "plan" or
// "build" (with --push, publish).
func BakeMode(c *cli.Context) (string, error) {
	switch {
	case c.Bool("print") && c.Bool("plan"):
		return "", &UsageError{Err: errors.New("--print and --plan: give one")}
	case c.IsSet("format") && !c.Bool("plan"):
		return "", &UsageError{Err: errors.New("--format is --plan's: add --plan")}
	case (c.Bool("print") || c.Bool("plan")) && (c.Bool("push") || c.Bool("load")):
		return "", &UsageError{Err: errors.New("--print and --plan build nothing: leave out --push and --load")}
	case c.Bool("print"):
		return "print", nil
	case c.Bool("plan"):
		if f := c.String("format"); f != "text" && f != "json" && f != "dot" {
			return "", &UsageError{Err: fmt.Errorf("--format %q: want text, json or dot", f)}
		}
		return "plan", nil
	}
	return "build", nil
}

// bakeConfig is the build.yaml of a bake: --config's, else the one beside
// the first bake file when there is one, else none (config.Default). A
// bake: entry must name a target of the bake file.
func bakeConfig(c *cli.Context, bp *bake.Project) (*config.File, error) {
	path := c.String("config")
	if path == "" && len(bp.Files) > 0 {
		dir := filepath.Dir(bp.Files[0])
		if bp.Files[0] == "-" {
			dir = "."
		}
		path = filepath.Join(dir, config.DefaultFile)
		if _, err := os.Stat(path); err != nil {
			return config.Default(), nil
		}
	}
	if path == "" {
		return config.Default(), nil
	}
	file, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	for name := range file.Bake {
		if _, ok := bp.Target(name); !ok {
			return nil, fmt.Errorf("%s: bake.%s: no such target in %s", path, name, strings.Join(bp.Files, ", "))
		}
	}
	return file, nil
}
