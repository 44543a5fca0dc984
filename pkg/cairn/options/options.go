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

// The groups --help lists flags under, as docker's help groups its flags.
const (
	GroupBuild    = "BUILD"
	GroupCache    = "CACHE"
	GroupPublish  = "PUBLISH"
	GroupOutput   = "OUTPUT"
	GroupDaemon   = "DAEMON"
	GroupRegistry = "REGISTRY"
)

// Plan are the flags of every command that plans (plan, build, check,
// outdated, recover, prune); each overrides build.yaml.
func Plan() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "config", Category: GroupBuild, Aliases: []string{"c"}, Usage: "build description `FILE` (default: PATH's build.yaml when it has one, else none; without PATH, ./build.yaml when present)"},
		&cli.StringFlag{Name: "file", Category: GroupBuild, Aliases: []string{"f"}, Usage: "Dockerfile `PATH` (default: build.yaml's, else Dockerfile)"},
		&cli.StringFlag{Name: "context", Category: GroupBuild, Usage: "build context `DIR` (default: build.yaml's, else .)"},
		&cli.StringSliceFlag{Name: "target", Category: GroupBuild, Usage: "`STAGE` to build (repeatable; default: build.yaml's targets, else the last stage)"},
		&cli.StringSliceFlag{Name: "build-arg", Category: GroupBuild, Usage: "build arg `KEY=VALUE` (repeatable)"},
		&cli.StringFlag{Name: "repository", Category: GroupPublish, Usage: "`REPO` tags and caches derive from, e.g. registry.example.com/team/app"},
		&cli.StringSliceFlag{Name: "tag", Category: GroupPublish, Aliases: []string{"t"}, Usage: "final tag of every selected target (repeatable), as in docker build: `REF` (registry/app:v1) or a bare tag under --repository"},
		&cli.StringFlag{Name: "cache-mode", Category: GroupCache, Usage: "cache export `MODE`: inline, max or off"},
		&cli.StringFlag{Name: "cache-ref", Category: GroupCache, Usage: "cache ref `TEMPLATE`, e.g. {repository}:cache-{branch}-{stage}"},
		&cli.StringSliceFlag{Name: "cache-from", Category: GroupCache, Usage: "also import the cache at `REF` in every stage, as buildx's --cache-from: REF or type=registry,ref=REF (repeatable)"},
		&cli.StringFlag{Name: "cache-mounts", Category: GroupCache, Usage: "carry RUN --mount=type=cache directories between runners in registry snapshots: `auto|off`"},
		&cli.StringFlag{Name: "cache-write", Category: GroupCache, Usage: "`WHO` writes the cache: auto (all but pull requests), branch (also pull requests) or none"},
		&cli.BoolFlag{Name: "allow-release", Category: GroupPublish, Usage: "let a pull request build, or one of a branch cache.protected does not list, move every final tag (release.allowAnyBuild), not only those naming {pr} or {branch}"},
		&cli.StringFlag{Name: "branch", Category: GroupCache, Usage: "the build's `BRANCH`, for {branch} and cache.protected (default: the CI's branch variable, else the checkout's)"},
		&cli.StringSliceFlag{Name: "platform", Category: GroupBuild, Usage: "target `PLATFORM` (repeatable), e.g. linux/amd64"},
		&cli.StringSliceFlag{Name: "registry-mirror", Category: GroupRegistry, Usage: "read a registry's images from `[REGISTRY=]MIRROR` first, as the daemon's mirrors (repeatable; REGISTRY: docker.io)"},
		&cli.StringSliceFlag{Name: "insecure-registry", Category: GroupRegistry, Usage: "registry `HOST[:PORT]` reached over plain HTTP (repeatable; loopback ones always are)"},
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
		return nil, &UsageError{Err: fmt.Errorf("want at most one PATH (the build context), got %d arguments: %s", c.NArg(), strings.Join(c.Args().Slice(), " "))}
	}
	opts, err := loadOptions(c, c.Args().First())
	if err != nil {
		return nil, err
	}
	p, err := cairn.Load(c.Context, opts)
	if errors.As(err, new(*cairn.PathError)) {
		return nil, &UsageError{Err: err} // PATH is an argument
	}
	return p, err
}

// UsageError is a mistake in how cairn was called (a flag or argument),
// as opposed to one in the files it reads: the CLI exits 2 for it.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// loadOptions are the LoadOptions the flags give, path being PATH ("" for none).
func loadOptions(f *cli.Context, path string) (cairn.LoadOptions, error) {
	args, err := ParseBuildArgs(f.StringSlice("build-arg"), os.LookupEnv)
	if err != nil {
		return cairn.LoadOptions{}, &UsageError{Err: err}
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
			CacheFrom:          f.StringSlice("cache-from"),
			AllowRelease:       f.Bool("allow-release"),
			Branch:             f.String("branch"),
			Targets:            f.StringSlice("target"),
			Tags:               f.StringSlice("tag"),
			InsecureRegistries: f.StringSlice("insecure-registry"),
			RegistryMirrors:    f.StringSlice("registry-mirror"),
			Docker:             dockerFlags(f),
			Attest:             readAttestFlags(f),
			SignKey:            f.String("sign-key"),
			RefreshBases:       refresh,
		},
	}, nil
}

// Hint adds to an error of the pipeline the flag that answers it, where
// the library's names only build.yaml's field or the daemon's address.
func Hint(err error) error {
	var daemon *cairn.DaemonError
	switch {
	case errors.As(err, new(*config.HeldTagsError)):
		return fmt.Errorf("%w\n(--allow-release publishes them from this build alone)", err)
	case errors.As(err, &daemon) && daemon.Addr == cairn.DefaultAddr:
		return fmt.Errorf("%w (set --addr or BUILDKIT_HOST; `make dev-up` starts a local daemon)", err)
	}
	return err
}

// NoSkip is the flag that builds a publish whose inputs did not change.
func NoSkip() cli.Flag {
	return &cli.BoolFlag{Name: "no-skip", Category: GroupPublish, Usage: "with --push: build even when every target's inputs and tags are those of its published release (which is skipped, dialing no daemon)"}
}

// Output say how a build shows its progress and where its record goes.
func Output() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "progress", Category: GroupOutput, Value: "auto", Usage: "progress display `MODE`: auto, tty, plain, rawjson or quiet"},
		&cli.StringFlag{Name: "metadata-file", Category: GroupOutput, Usage: "write per-stage digests, cache refs, durations, checks and tags as JSON to `FILE`"},
		&cli.StringFlag{Name: "source-date-epoch", Category: GroupBuild, Usage: "clamp image times to `SECONDS`, git (the context's commit time) or off (default: $SOURCE_DATE_EPOCH, else git)"},
		&cli.BoolFlag{Name: "rewrite-timestamp", Category: GroupBuild, Usage: "also clamp the times of files in new layers to the source date epoch (slower)"},
	}
}

// Refresh overrides build.yaml's baseImages.refresh.
func Refresh() cli.Flag {
	return &cli.BoolFlag{Name: "refresh-bases", Category: GroupCache, Value: true, Usage: "check base images against the digests the stage caches were built on, and rebuild a stage whose base moved with --pull (=false: leave bases to BuildKit; default: build.yaml's baseImages.refresh, else true)"}
}

// Docker are docker build's flags CI relies on, with docker's names
// (dockerFlags reads them); build.yaml may set most of them.
func Docker() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "secret", Category: GroupBuild, Usage: "secret for RUN --mount=type=secret: `id=ID,src=FILE|env=VAR` (repeatable)"},
		&cli.StringSliceFlag{Name: "ssh", Category: GroupBuild, Usage: "SSH agent or keys for RUN --mount=type=ssh: `default|ID[=PATH[,PATH]]` (repeatable)"},
		&cli.StringSliceFlag{Name: "label", Category: GroupBuild, Usage: "label `KEY=VALUE` in the targets' image config (repeatable)"},
		&cli.StringSliceFlag{Name: "annotation", Category: GroupBuild, Usage: "annotation `[TYPE:]KEY=VALUE` on the targets' manifests (repeatable)"},
		&cli.BoolFlag{Name: "no-cache", Category: GroupCache, Usage: "rebuild every step"},
		&cli.StringSliceFlag{Name: "no-cache-filter", Category: GroupCache, Usage: "rebuild the steps of `STAGE` (repeatable)"},
		&cli.BoolFlag{Name: "pull", Category: GroupBuild, Usage: "ask the registry for every base image, even one the daemon has"},
		&cli.StringSliceFlag{Name: "build-context", Category: GroupBuild, Usage: "context `NAME=SRC` for FROM NAME and COPY --from=NAME, SRC a directory or docker-image://REF (repeatable)"},
		&cli.StringFlag{Name: "network", Category: GroupBuild, Usage: "network `MODE` of RUN steps: default, none or host (host needs the daemon to allow network.host)"},
		&cli.StringSliceFlag{Name: "add-host", Category: GroupBuild, Usage: "`HOST:IP` line in /etc/hosts of RUN steps (repeatable)"},
		&cli.StringFlag{Name: "shm-size", Category: GroupBuild, Usage: "`SIZE` of /dev/shm in RUN steps, e.g. 64m"},
		&cli.StringSliceFlag{Name: "ulimit", Category: GroupBuild, Usage: "limit `NAME=SOFT[:HARD]` of RUN steps, e.g. nofile=1024:2048 (repeatable)"},
		&cli.StringSliceFlag{Name: "output", Category: GroupOutput, Aliases: []string{"o"}, Usage: "also export each target: `type=TYPE,dest=PATH`, TYPE oci, docker, tar or local ({target} in PATH with several targets)"},
		&cli.BoolFlag{Name: "load", Category: GroupOutput, Usage: "load each target into the Docker engine (docker load)"},
		&cli.StringFlag{Name: "iidfile", Category: GroupOutput, Usage: "write the target's image ID (config digest) to `FILE` ({target} in FILE with several targets)"},
	}
}

// dockerFlags reads docker build's flags by their docker names.
func dockerFlags(f *cli.Context) config.DockerFlags {
	return config.DockerFlags{
		Secrets:       f.StringSlice("secret"),
		SSH:           f.StringSlice("ssh"),
		Labels:        f.StringSlice("label"),
		Annotations:   f.StringSlice("annotation"),
		BuildContexts: f.StringSlice("build-context"),
		AddHosts:      f.StringSlice("add-host"),
		Ulimits:       f.StringSlice("ulimit"),
		Network:       f.String("network"),
		ShmSize:       f.String("shm-size"),
		NoCache:       f.Bool("no-cache"),
		NoCacheFilter: f.StringSlice("no-cache-filter"),
		Pull:          f.Bool("pull"),
		Outputs:       f.StringSlice("output"),
		Load:          f.Bool("load"),
		IIDFile:       f.String("iidfile"),
	}
}

// Daemon are the flags that say which BuildKit daemons build.
func Daemon() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "addr", Category: GroupDaemon, Usage: "BuildKit daemon `ADDRESS`: unix://, tcp://, docker-container://, kube-pod:// or ssh:// (repeatable: a pool stages and platforms spread over, the first the default; default: build.yaml's builders, else $BUILDKIT_HOST, else " + cairn.DefaultAddr + ")"},
		&cli.StringFlag{Name: "tlscacert", Category: GroupDaemon, Usage: "CA certificate `FILE` for a tcp:// daemon"},
		&cli.StringFlag{Name: "tlscert", Category: GroupDaemon, Usage: "client certificate `FILE` for a tcp:// daemon"},
		&cli.StringFlag{Name: "tlskey", Category: GroupDaemon, Usage: "client key `FILE` for a tcp:// daemon"},
		&cli.StringFlag{Name: "tlsservername", Category: GroupDaemon, Usage: "server `NAME` the daemon's certificate is checked against"},
	}
}

// Pool is the daemons the flags, build.yaml or $BUILDKIT_HOST name, to be
// dialed when a run first needs one (cairn.NewPool).
func Pool(c *cli.Context, p *cairn.Project) *cairn.Pool {
	return cairn.NewPool(p.Daemons(c.StringSlice("addr"), cairn.DaemonOptions{
		CACert: c.String("tlscacert"), Cert: c.String("tlscert"),
		Key: c.String("tlskey"), ServerName: c.String("tlsservername"),
	}))
}

// Dial is Pool, connected now.
func Dial(c *cli.Context, p *cairn.Project) (*cairn.Pool, error) {
	pool := Pool(c, p)
	if err := pool.Connect(c.Context); err != nil {
		return nil, Hint(err)
	}
	return pool, nil
}

// ParseBuildArgs reads KEY=VALUE pairs as docker build does: a bare KEY
// takes its value from env, and is left out when env has none.
func ParseBuildArgs(values []string, env func(string) (string, bool)) (map[string]string, error) {
	args := make(map[string]string, len(values))
	for _, kv := range values {
		k, v, ok := strings.Cut(kv, "=")
		if k == "" {
			return nil, fmt.Errorf("--build-arg %q: want KEY=VALUE", kv)
		}
		if !ok {
			if v, ok = env(k); !ok {
				continue
			}
		}
		args[k] = v
	}
	return args, nil
}
