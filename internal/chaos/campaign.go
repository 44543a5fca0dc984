package chaos

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"time"
)

// Options configure a campaign.
type Options struct {
	Runs int
	Seed int64
	// Dir holds the daemons' state; it is left for a look after a failure.
	Dir string
	// BinDir holds buildkitd and registry (make tools).
	BinDir string
	// Cairn is the cairn binary to run.
	Cairn string
	// Log receives a line per run; nil discards them.
	Log io.Writer
	// KeepDaemon keeps buildkitd running after a publisher was killed,
	// which shows BuildKit's stuck solver (see round.heal) as violations.
	KeepDaemon bool
}

// Violation is an invariant a run broke.
type Violation struct {
	Run    int
	Seed   int64
	Faults []Fault
	What   string
	Output string // the output of every cairn process of the run
}

// Result is what a campaign found.
type Result struct {
	Runs       int
	Faults     int
	ByKind     map[Kind]int
	Violations []Violation
	Injected   int64 // registry requests a fault acted on
	Failed     int   // runs in which a publisher failed or was killed
	Killed     int   // publishers a fault SIGKILLed
	Wall       time.Duration
}

// release is the final tags as a run left them: what the next failed run
// must leave as they are.
type release struct {
	run    string
	finals map[string]string
}

type campaign struct {
	o      Options
	e      *env
	expect time.Duration // how long a clean publish takes
	prev   release
	res    *Result
}

// Run runs the campaign: a first clean publish, then o.Runs runs with
// faults, each checked. Its error is the environment's, not a violation.
func Run(ctx context.Context, o Options) (*Result, error) {
	start := time.Now()
	if o.Log == nil {
		o.Log = io.Discard
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	e, err := startEnv(ctx, o.Dir, o.BinDir, o.Cairn)
	if err != nil {
		return nil, err
	}
	defer e.close()
	c := &campaign{o: o, e: e, res: &Result{ByKind: map[Kind]int{}}}
	if err := c.first(ctx); err != nil {
		return nil, err
	}
	for n := 1; n <= o.Runs && ctx.Err() == nil; n++ {
		if err := c.run(ctx, n); err != nil {
			return c.res, fmt.Errorf("run %d: %w", n, err)
		}
	}
	c.res.Injected = e.proxy.Injected()
	c.res.Wall = time.Since(start)
	return c.res, e.close()
}

// first publishes the release the first run's faults strike.
func (c *campaign) first(ctx context.Context) error {
	p, took, err := c.clean("r0")
	if err != nil {
		return err
	}
	if p.wait() != 0 {
		return fmt.Errorf("the first, clean publish failed:\n%s", p.out.String())
	}
	c.expect = took
	s, err := c.e.read(ctx)
	if err != nil {
		return err
	}
	c.prev = release{run: "r0", finals: s.finals}
	fmt.Fprintf(c.o.Log, "run 0: clean publish in %s\n", took.Round(time.Millisecond))
	return nil
}

// clean publishes run id with no fault and says how long it took.
func (c *campaign) clean(id string) (*proc, time.Duration, error) {
	start := time.Now()
	p, err := c.e.publish(id)
	if err != nil {
		return nil, 0, err
	}
	p.wait()
	return p, time.Since(start), nil
}

// run plays run n with faults drawn from the seed, then checks it.
func (c *campaign) run(ctx context.Context, n int) error {
	rng := rand.New(rand.NewPCG(uint64(c.o.Seed), uint64(n)))
	r := &round{e: c.e, n: n, faults: draw(rng, c.expect)}
	c.res.Runs++
	c.res.Faults += len(r.faults)
	for _, f := range r.faults {
		c.res.ByKind[f.Kind]++
	}
	start := time.Now()
	if err := r.play(ctx, c.o.KeepDaemon); err != nil {
		return err
	}
	j := &judgement{c: c, r: r}
	if err := j.judge(ctx); err != nil {
		return err
	}
	fmt.Fprintf(c.o.Log, "run %d (%s): %v: %s\n", n, time.Since(start).Round(time.Millisecond), r.faults, j.summary())
	return nil
}
