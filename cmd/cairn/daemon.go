package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/moby/buildkit/client"
	"github.com/urfave/cli/v2"

	"github.com/cairn-build/cairn/pkg/cairn"
)

func daemonFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "addr", EnvVars: []string{"BUILDKIT_HOST"}, Value: cairn.DefaultAddr, Usage: "BuildKit daemon address: unix://, tcp://, docker-container://, kube-pod://, ssh://"},
		&cli.StringFlag{Name: "tlscacert", Usage: "CA certificate for a tcp:// daemon"},
		&cli.StringFlag{Name: "tlscert", Usage: "client certificate for a tcp:// daemon"},
		&cli.StringFlag{Name: "tlskey", Usage: "client key for a tcp:// daemon"},
		&cli.StringFlag{Name: "tlsservername", Usage: "server name the daemon's certificate is checked against"},
	}
}

// dial connects to the daemon the flags name.
func dial(c *cli.Context) (*client.Client, error) {
	addr := c.String("addr")
	bk, err := cairn.Dial(c.Context, cairn.DaemonOptions{
		Addr: addr, CACert: c.String("tlscacert"), Cert: c.String("tlscert"),
		Key: c.String("tlskey"), ServerName: c.String("tlsservername"),
	})
	if errors.As(err, new(*cairn.DaemonError)) && os.Getenv("BUILDKIT_HOST") == "" && addr == cairn.DefaultAddr {
		return nil, fmt.Errorf("%w (set --addr or BUILDKIT_HOST; `make dev-up` starts a local daemon)", err)
	}
	return bk, err
}
