package main

import "github.com/urfave/cli/v2"

// dockerFlags are docker build's flags CI relies on, with docker's names
// (config.ReadDockerFlags reads them); build.yaml may set most of them.
func dockerFlags() []cli.Flag {
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
