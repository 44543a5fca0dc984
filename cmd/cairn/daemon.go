package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/moby/buildkit/client"
	// Connection helpers for docker-container://, kube-pod://, podman-container:// and ssh:// addresses.
	_ "github.com/moby/buildkit/client/connhelper/dockercontainer"
	_ "github.com/moby/buildkit/client/connhelper/kubepod"
	_ "github.com/moby/buildkit/client/connhelper/podmancontainer"
	_ "github.com/moby/buildkit/client/connhelper/ssh"
	"github.com/urfave/cli/v2"
)

// defaultAddr is buildkitd's default socket for a rootful daemon.
const defaultAddr = "unix:///run/buildkit/buildkitd.sock"

func daemonFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "addr", EnvVars: []string{"BUILDKIT_HOST"}, Value: defaultAddr, Usage: "BuildKit daemon address: unix://, tcp://, docker-container://, kube-pod://, ssh://"},
		&cli.StringFlag{Name: "tlscacert", Usage: "CA certificate for a tcp:// daemon"},
		&cli.StringFlag{Name: "tlscert", Usage: "client certificate for a tcp:// daemon"},
		&cli.StringFlag{Name: "tlskey", Usage: "client key for a tcp:// daemon"},
		&cli.StringFlag{Name: "tlsservername", Usage: "server name the daemon's certificate is checked against"},
	}
}

// connect returns a client for the daemon, once it has answered: an
// unreachable daemon is an error within 5 seconds, naming the address.
func connect(c *cli.Context) (*client.Client, error) {
	addr := c.String("addr")
	var opts []client.ClientOpt
	if ca := c.String("tlscacert"); ca != "" {
		opts = append(opts, client.WithServerConfig(c.String("tlsservername"), ca))
	}
	if cert := c.String("tlscert"); cert != "" {
		opts = append(opts, client.WithCredentials(cert, c.String("tlskey")))
	}
	bk, err := client.New(c.Context, addr, opts...)
	if err != nil {
		return nil, fmt.Errorf("BuildKit daemon at %s: %w", addr, err)
	}
	ctx, cancel := context.WithTimeout(c.Context, 5*time.Second)
	defer cancel()
	if _, err := bk.Info(ctx); err != nil {
		bk.Close()
		if c.Context.Err() != nil {
			return nil, c.Context.Err()
		}
		hint := ""
		if os.Getenv("BUILDKIT_HOST") == "" && addr == defaultAddr {
			hint = " (set --addr or BUILDKIT_HOST; `make dev-up` starts a local daemon)"
		}
		return nil, fmt.Errorf("cannot reach the BuildKit daemon at %s%s: %w", addr, hint, err)
	}
	return bk, nil
}
