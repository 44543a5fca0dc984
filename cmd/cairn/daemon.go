package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/cairn-build/cairn/pkg/cairn"
)

func daemonFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "addr", Usage: "BuildKit daemon `ADDRESS`: unix://, tcp://, docker-container://, kube-pod://, ssh:// (repeatable: a pool that stages and platforms spread over, the first the default; default: build.yaml's builders, else $BUILDKIT_HOST, else " + cairn.DefaultAddr + ")"},
		&cli.StringFlag{Name: "tlscacert", Usage: "CA certificate for a tcp:// daemon"},
		&cli.StringFlag{Name: "tlscert", Usage: "client certificate for a tcp:// daemon"},
		&cli.StringFlag{Name: "tlskey", Usage: "client key for a tcp:// daemon"},
		&cli.StringFlag{Name: "tlsservername", Usage: "server name the daemon's certificate is checked against"},
	}
}

// dial connects to the daemons the flags, build.yaml or $BUILDKIT_HOST name.
func dial(c *cli.Context, p *cairn.Project) (*cairn.Pool, error) {
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
