// Package options is cairn's command line as a library, as ko's
// pkg/commands/options is ko's: the urfave/cli flags of cairn's commands,
// and what reads them into the pipeline's options. cmd/cairn declares its
// commands with them; a program can add cairn's flags to its own CLI.
package options

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/config"
)

// Plan are the flags of every command that plans (plan, build, check,
// outdated, recover, prune); each overrides build.yaml.
func Plan() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "build description (default: PATH's build.yaml when it has one, else none; without PATH, ./build.yaml when present)"},
		&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Usage: "Dockerfile path (default: build.yaml's, else Dockerfile)"},
		&cli.StringFlag{Name: "context", Usage: "build context directory (default: build.yaml's, else .)"},
		&cli.StringSliceFlag{Name: "target", Usage: "target stage to build (repeatable; default: build.yaml's targets, else the last stage)"},
		&cli.StringSliceFlag{Name: "build-arg", Usage: "build arg `KEY=VALUE` (repeatable)"},
		&cli.StringFlag{Name: "repository", Usage: "repository tags and caches derive from, e.g. registry.example.com/team/app"},
		&cli.StringSliceFlag{Name: "tag", Aliases: []string{"t"}, Usage: "final tag of every selected target (repeatable), as in docker build: `REF` (registry/app:v1) or a bare tag under --repository"},
		&cli.StringFlag{Name: "cache-mode", Usage: "inline, max or off"},
		&cli.StringFlag{Name: "cache-ref", Usage: "cache ref template, e.g. {repository}:cache-{branch}-{stage}"},
		&cli.StringFlag{Name: "cache-mounts", Usage: "carry RUN --mount=type=cache directories between runners in registry snapshots: auto or off"},
		&cli.StringFlag{Name: "cache-write", Usage: "which builds write the cache: auto (all but pull requests), branch (also pull requests) or none"},
		&cli.BoolFlag{Name: "allow-release", Usage: "let a pull request build, or one of a branch cache.protected does not list, move every final tag (release.allowAnyBuild), not only those naming {pr} or {branch}"},
		&cli.StringFlag{Name: "branch", Usage: "the build's branch, for {branch} and cache.protected (default: the CI's branch variable, else the checkout's)"},
		&cli.StringSliceFlag{Name: "platform", Usage: "target platform (repeatable), e.g. linux/amd64"},
		&cli.StringSliceFlag{Name: "insecure-registry", Usage: "registry `HOST[:PORT]` reached over plain HTTP (repeatable; loopback ones always are)"},
	}
}

// Build are the flags of the commands that build (build, check).
func Build() []cli.Flag {
	return slices.Concat(Plan(), Docker(), Output(), Daemon(), []cli.Flag{Refresh()})
}

// Load reads build.yaml (when there is one), applies the flags, and plans.
// The command's one optional argument, PATH, is the build context, as in
// `docker build PATH`; anything more is a usage error.
func Load(c *cli.Context) (*cairn.Project, error) {
	if c.NArg() > 1 {
		return nil, &cairn.UsageError{Err: fmt.Errorf("want at most one PATH (the build context), got %d arguments: %s", c.NArg(), strings.Join(c.Args().Slice(), " "))}
	}
	opts, err := loadOptions(c, c.Args().First())
	if err != nil {
		return nil, err
	}
	return cairn.Load(c.Context, opts)
}

// loadOptions are the LoadOptions the flags give, path being PATH ("" for none).
func loadOptions(f *cli.Context, path string) (cairn.LoadOptions, error) {
	args, err := cairn.ParseBuildArgs(f.StringSlice("build-arg"), os.LookupEnv)
	if err != nil {
		return cairn.LoadOptions{}, &cairn.UsageError{Err: err}
	}
	var refresh *bool
	if f.IsSet("refresh-bases") {
		v := f.Bool("refresh-bases")
		refresh = &v
	}
	return cairn.LoadOptions{
		Path:            path,
		Config:          f.String("config"),
		SourceDateEpoch: f.String("source-date-epoch"),
		Overrides: config.Overrides{
			Dockerfile:         f.String("file"),
			Context:            f.String("context"),
			Repository:         f.String("repository"),
			Args:               args,
			Platforms:          f.StringSlice("platform"),
			CacheMode:          f.String("cache-mode"),
			CacheRef:           f.String("cache-ref"),
			CacheMounts:        f.String("cache-mounts"),
			CacheWrite:         f.String("cache-write"),
			AllowRelease:       f.Bool("allow-release"),
			Branch:             f.String("branch"),
			Targets:            f.StringSlice("target"),
			Tags:               f.StringSlice("tag"),
			InsecureRegistries: f.StringSlice("insecure-registry"),
			Docker:             config.ReadDockerFlags(f),
			Attest:             readAttestFlags(f),
			RefreshBases:       refresh,
		},
	}, nil
}

// Hint adds to an error of the pipeline the flag that answers it, where
// the library's names only build.yaml's field.
func Hint(err error) error {
	if errors.As(err, new(*config.HeldTagsError)) {
		return fmt.Errorf("%w\n(--allow-release publishes them from this build alone)", err)
	}
	return err
}

// Output say how a build shows its progress and where its record goes.
func Output() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "progress", Value: "auto", Usage: "progress display: auto, tty, plain, rawjson or quiet"},
		&cli.StringFlag{Name: "metadata-file", Usage: "write per-stage digests, cache refs, durations, checks and tags as JSON to `FILE`"},
		&cli.StringFlag{Name: "source-date-epoch", Usage: "clamp image times to `SECONDS`, git (the context's commit time) or off (default: $SOURCE_DATE_EPOCH, else git)"},
		&cli.BoolFlag{Name: "rewrite-timestamp", Usage: "also clamp the times of files in new layers to the source date epoch (slower)"},
	}
}

// Refresh overrides build.yaml's baseImages.refresh.
func Refresh() cli.Flag {
	return &cli.BoolFlag{Name: "refresh-bases", Value: true, Usage: "check base images against the digests the stage caches were built on, record them, and rebuild a stage whose base moved with --pull (--refresh-bases=false: leave bases to BuildKit; default: build.yaml's baseImages.refresh, else on)"}
}

// Docker are docker build's flags CI relies on, with docker's names
// (config.ReadDockerFlags reads them); build.yaml may set most of them.
func Docker() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "secret", Usage: "secret for RUN --mount=type=secret: `id=ID,src=FILE|env=VAR` (repeatable)"},
		&cli.StringSliceFlag{Name: "ssh", Usage: "SSH agent or keys for RUN --mount=type=ssh: `default|ID[=PATH[,PATH]]` (repeatable)"},
		&cli.StringSliceFlag{Name: "label", Usage: "label `KEY=VALUE` in the targets' image config (repeatable)"},
		&cli.StringSliceFlag{Name: "annotation", Usage: "annotation `[TYPE:]KEY=VALUE` on the targets' manifests (repeatable)"},
		&cli.BoolFlag{Name: "no-cache", Usage: "rebuild every step"},
		&cli.StringSliceFlag{Name: "no-cache-filter", Usage: "rebuild the steps of `STAGE` (repeatable)"},
		&cli.BoolFlag{Name: "pull", Usage: "ask the registry for every base image, even one the daemon has"},
		&cli.StringSliceFlag{Name: "build-context", Usage: "context for FROM NAME, COPY --from=NAME: `NAME=PATH|NAME=docker-image://REF` (repeatable)"},
		&cli.StringFlag{Name: "network", Usage: "network of RUN steps: default, none or host (host needs the daemon to allow network.host)"},
		&cli.StringSliceFlag{Name: "add-host", Usage: "`HOST:IP` line in /etc/hosts of RUN steps (repeatable)"},
		&cli.StringFlag{Name: "shm-size", Usage: "size of /dev/shm in RUN steps, e.g. 64m"},
		&cli.StringSliceFlag{Name: "ulimit", Usage: "limit `NAME=SOFT[:HARD]` of RUN steps, e.g. nofile=1024:2048 (repeatable)"},
		&cli.StringSliceFlag{Name: "output", Aliases: []string{"o"}, Usage: "also export each target to `type=oci|docker|tar|local,dest=PATH` ({target} in PATH with several targets)"},
		&cli.BoolFlag{Name: "load", Usage: "load each target into the Docker engine (docker load)"},
		&cli.StringFlag{Name: "iidfile", Usage: "write the target's image ID (config digest) to `FILE` ({target} in FILE with several targets)"},
	}
}

// Daemon are the flags that say which BuildKit daemons build.
func Daemon() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "addr", Usage: "BuildKit daemon `ADDRESS`: unix://, tcp://, docker-container://, kube-pod://, ssh:// (repeatable: a pool that stages and platforms spread over, the first the default; default: build.yaml's builders, else $BUILDKIT_HOST, else " + cairn.DefaultAddr + ")"},
		&cli.StringFlag{Name: "tlscacert", Usage: "CA certificate for a tcp:// daemon"},
		&cli.StringFlag{Name: "tlscert", Usage: "client certificate for a tcp:// daemon"},
		&cli.StringFlag{Name: "tlskey", Usage: "client key for a tcp:// daemon"},
		&cli.StringFlag{Name: "tlsservername", Usage: "server name the daemon's certificate is checked against"},
	}
}

// Dial connects to the daemons the flags, build.yaml or $BUILDKIT_HOST name.
func Dial(c *cli.Context, p *cairn.Project) (*cairn.Pool, error) {
	daemons := p.Daemons(c.StringSlice("addr"), cairn.DaemonOptions{
		CACert: c.String("tlscacert"), Cert: c.String("tlscert"),
		Key: c.String("tlskey"), ServerName: c.String("tlsservername"),
	})
	pool, err := cairn.DialPool(c.Context, daemons)
	if errors.As(err, new(*cairn.DaemonError)) && len(daemons) == 1 && daemons[0].Addr == cairn.DefaultAddr {
		return nil, fmt.Errorf("%w (set --addr or BUILDKIT_HOST; `make dev-up` starts a local daemon)", err)
	}
	return pool, err
}
