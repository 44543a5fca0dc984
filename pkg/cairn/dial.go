package cairn

import (
	"context"
	"fmt"
	"time"

	"github.com/moby/buildkit/client"
	// Connection helpers for docker-container://, kube-pod://, podman-container:// and ssh:// addresses.
	_ "github.com/moby/buildkit/client/connhelper/dockercontainer"
	_ "github.com/moby/buildkit/client/connhelper/kubepod"
	_ "github.com/moby/buildkit/client/connhelper/podmancontainer"
	_ "github.com/moby/buildkit/client/connhelper/ssh"
)

// DefaultAddr is buildkitd's default socket for a rootful daemon.
const DefaultAddr = "unix:///run/buildkit/buildkitd.sock"

// DaemonOptions say how to reach a BuildKit daemon.
type DaemonOptions struct {
	Addr string // unix://, tcp://, docker-container://, kube-pod://, ssh://; "" is DefaultAddr
	// TLS for tcp:// daemons; empty fields are not used.
	CACert, Cert, Key, ServerName string
	// Timeout bounds the first answer; 0 means 5 seconds.
	Timeout time.Duration
	// Name says in reports which daemon of a Pool built a stage; "" is Addr.
	Name string
}

// Dial returns a client for the daemon once it has answered, so an
// unreachable daemon is an error naming the address, not a hung build.
func Dial(ctx context.Context, o DaemonOptions) (*client.Client, error) {
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Second
	}
	var opts []client.ClientOpt
	if o.CACert != "" {
		opts = append(opts, client.WithServerConfig(o.ServerName, o.CACert))
	}
	if o.Cert != "" {
		opts = append(opts, client.WithCredentials(o.Cert, o.Key))
	}
	c, err := client.New(ctx, o.Addr, opts...)
	if err != nil {
		return nil, fmt.Errorf("BuildKit daemon at %s: %w", o.Addr, err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if _, err := c.Info(pingCtx); err != nil {
		c.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &DaemonError{Addr: o.Addr, Err: err}
	}
	return c, nil
}

// DaemonError is a daemon that did not answer.
type DaemonError struct {
	Addr string
	Err  error
}

func (e *DaemonError) Error() string {
	return fmt.Sprintf("cannot reach the BuildKit daemon at %s: %v", e.Addr, e.Err)
}

func (e *DaemonError) Unwrap() error { return e.Err }
