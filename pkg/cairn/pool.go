package cairn

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"

	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/planner"
)

// Pool is BuildKit daemons that share builds; the first is the default.
// With one, Pool.Run is Run on it, unchanged. With several, Pool.Run
// builds each target platform on daemons whose worker lists it (by
// emulation on the default daemon, with a note, only when none does), and
// spreads a platform's independent stages over its daemons, handing
// results over through the registry (see build.RunPool).
type Pool struct {
	daemons  []DaemonOptions
	clients  []*client.Client
	builders *build.Pool // nil for a single daemon: its platforms are not needed
}

// NewPool is a Pool of the daemons that dials none until Run needs one
// (see Connector): a publish with nothing to build dials no daemon.
func NewPool(daemons []DaemonOptions) *Pool { return &Pool{daemons: daemons} }

// DialPool is NewPool, connected now.
func DialPool(ctx context.Context, daemons []DaemonOptions) (*Pool, error) {
	pl := NewPool(daemons)
	if err := pl.Connect(ctx); err != nil {
		return nil, err
	}
	return pl, nil
}

// Connect dials the daemons, all at once, unless it has; one that does
// not answer is an error naming it. With several, it asks each for its
// workers' platforms. It is not safe for concurrent use.
func (pl *Pool) Connect(ctx context.Context) error {
	daemons := pl.daemons
	if len(daemons) == 0 {
		return errors.New("no BuildKit daemon to build on")
	}
	if pl.clients != nil {
		return nil
	}
	pl.clients = make([]*client.Client, len(daemons))
	builders := make([]build.Builder, len(daemons))
	g, gctx := errgroup.WithContext(ctx)
	for i, d := range daemons {
		g.Go(func() error {
			c, err := Dial(gctx, d)
			if err != nil {
				return err
			}
			pl.clients[i] = c
			builders[i] = build.Builder{Name: cmp.Or(d.Name, d.Addr, DefaultAddr), Solver: c}
			if len(daemons) == 1 {
				return nil
			}
			workers, err := c.ListWorkers(gctx)
			if err != nil {
				return fmt.Errorf("list the workers of the BuildKit daemon at %s: %w", d.Addr, err)
			}
			if len(workers) == 0 || len(workers[0].Platforms) == 0 {
				return fmt.Errorf("the BuildKit daemon at %s has no worker to build on", d.Addr)
			}
			builders[i].Platforms = workers[0].Platforms
			return nil
		})
	}
	err := g.Wait()
	if err == nil && len(daemons) > 1 {
		pl.builders, err = build.NewPool(builders...)
	}
	if err != nil {
		pl.Close()
		pl.clients = nil
	}
	return err
}

// Default is the default daemon's client.
func (pl *Pool) Default() Daemon { return pl.clients[0] }

// Builders are the daemons with their workers' platforms; nil for a pool
// of one daemon, whose platforms Run asks for itself.
func (pl *Pool) Builders() []build.Builder {
	if pl.builders == nil {
		return nil
	}
	return pl.builders.Builders()
}

// Close closes every client.
func (pl *Pool) Close() error {
	var errs []error
	for _, c := range pl.clients {
		if c != nil {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}

// Run is Run on the pool: the report names the daemon that built each stage.
func (pl *Pool) Run(ctx context.Context, p *Project, opts RunOptions) (*Report, error) {
	return Run(ctx, pl, p, opts)
}

// Daemons are the BuildKit daemons a build of the project runs on, the
// default first: addrs (cairn build --addr, repeatable), each reached with
// tls's TLS settings; else build.yaml's builders:; else $BUILDKIT_HOST;
// else DefaultAddr.
func (p *Project) Daemons(addrs []string, tls DaemonOptions) []DaemonOptions {
	var out []DaemonOptions
	for _, a := range addrs {
		d := tls
		d.Addr = a
		out = append(out, d)
	}
	if len(out) > 0 {
		return out
	}
	for _, b := range p.Config.Builders {
		d := DaemonOptions{Addr: b.Address, Name: b.Name}
		if b.TLS != nil {
			d.CACert, d.Cert, d.Key, d.ServerName = b.TLS.CA, b.TLS.Cert, b.TLS.Key, b.TLS.ServerName
		}
		out = append(out, d)
	}
	if len(out) > 0 {
		return out
	}
	env := p.env
	if env == nil {
		env = os.LookupEnv
	}
	if host, ok := env("BUILDKIT_HOST"); ok && host != "" {
		return []DaemonOptions{{Addr: host}}
	}
	return []DaemonOptions{{Addr: DefaultAddr}}
}

// Build builds the plan on the default daemon when the pool has one, else
// spreads it over the pool: each target platform on the daemons that build
// it natively, a platform's independent stages over its daemons.
func (pl *Pool) Build(ctx context.Context, p *Project, bo build.Options, log *slog.Logger) (*build.Result, error) {
	if pl.builders == nil {
		return build.Run(ctx, pl.Default(), p.Plan, bo)
	}
	var targets []string
	if len(p.Config.Platforms) > 0 {
		targets = p.TargetPlatforms()
	}
	if len(targets) <= 1 {
		t := "" // the default daemon's platform
		if len(targets) == 1 {
			t = targets[0]
		}
		part, err := pl.part(p, t, log)
		if err != nil {
			return nil, err
		}
		return build.RunPool(ctx, part.Daemons, part.Plan, bo)
	}
	if hasOutputs(bo) {
		log.Info("-o and --load of several platforms come from one solve: building on the default builder alone")
		return build.Run(ctx, pl.Default(), p.Plan, bo)
	}
	parts := make([]*build.PlatformBuild, len(targets))
	for i, t := range targets {
		part, err := pl.part(p, t, log)
		if err != nil {
			return nil, err
		}
		parts[i] = part
	}
	if dropped := bo.DropAttests(); len(dropped) > 0 {
		// Each platform's attestations would come as an index of their own,
		// which the index joining the platforms cannot hold.
		log.Info(fmt.Sprintf("targets %s: no attestations: each platform is built on its own daemon (one daemon builds every platform with them)", strings.Join(dropped, ", ")))
	}
	return build.RunPlatforms(ctx, parts, bo)
}

func hasOutputs(bo build.Options) bool {
	for _, t := range bo.Targets {
		if len(t.Outputs) > 0 {
			return true
		}
	}
	return false
}

// part picks the daemons for the target platform t ("" for the default
// daemon's) and plans for their build platform.
func (pl *Pool) part(p *Project, t string, log *slog.Logger) (*build.PlatformBuild, error) {
	daemons, emulated := pl.builders.For(t)
	if emulated {
		log.Info(fmt.Sprintf("no builder's worker lists %s: building it on %s, by emulation", t, daemons.Builders()[0].Name))
	}
	bp, err := platforms.Parse(daemons.BuildPlatform())
	if err != nil {
		return nil, fmt.Errorf("builder %s: %w", daemons.Builders()[0].Name, err)
	}
	plan := p.Plan
	if t != "" || platforms.Format(platforms.Normalize(bp)) != platforms.Format(p.BuildPlatform) {
		opts := p.Config.PlanOptionsFor(platforms.Normalize(bp))
		if t != "" {
			tp, err := platforms.Parse(t)
			if err != nil {
				return nil, err
			}
			opts.Platforms = []ocispecs.Platform{platforms.Normalize(tp)}
		}
		if plan, err = planner.New(p.Dockerfile, opts); err != nil {
			return nil, err
		}
		if err := planner.SameStages(p.Plan, plan); err != nil {
			return nil, fmt.Errorf("%s, built on %s: %w", cmp.Or(t, daemons.BuildPlatform()), daemons.BuildPlatform(), err)
		}
	}
	return &build.PlatformBuild{Platform: t, Daemons: daemons, Plan: plan}, nil
}
