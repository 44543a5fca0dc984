package chaos

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// round is one run of the campaign: its faults, armed, and its publishers.
type round struct {
	e      *env
	n      int
	faults []Fault
	pubs   []*proc
	ctx    context.Context // ends when every publisher has exited
	fires  sync.WaitGroup

	mu           sync.Mutex
	daemonKilled bool
	diskFull     bool
}

// play arms the faults, runs the publishers and waits for them all, then
// heals every fault: the registry answers, its disk has room, the daemon
// runs.
func (r *round) play(ctx context.Context, keepDaemon bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r.ctx = ctx
	publishers := 1
	var fires []func()
	for _, f := range r.faults {
		publishers = max(publishers, f.publishers)
	}
	for i := range publishers {
		id := fmt.Sprintf("r%d", r.n)
		if publishers > 1 {
			id = fmt.Sprintf("r%d.%d", r.n, i+1)
		}
		r.pubs = append(r.pubs, &proc{name: id}) // started below; armed faults pick one
	}
	for _, f := range r.faults {
		if fire := f.arm(r); fire != nil {
			fires = append(fires, fire)
		}
	}
	for i, p := range r.pubs {
		started, err := r.e.publish(p.name)
		if err != nil {
			return err
		}
		r.pubs[i] = started
	}
	for _, fire := range fires {
		r.goFire(fire)
	}
	stop := context.AfterFunc(ctx, r.killAll) // interrupted: no publisher outlives the campaign
	defer stop()
	for _, p := range r.pubs {
		p.wait()
	}
	cancel()
	r.fires.Wait()
	return r.heal(context.WithoutCancel(ctx), keepDaemon)
}

func (r *round) killAll() {
	for _, p := range r.pubs {
		p.kill()
	}
}

// heal ends every fault. buildkitd is restarted when it was killed, and
// also when a publisher was killed or hung unless keepDaemon: a client
// that dies while a lazy cache import from the (logged-in) registry
// resolves leaves BuildKit v0.33.1's solver stuck for minutes (see
// restartDaemon), which would fail every later run for the same reason.
func (r *round) heal(ctx context.Context, keepDaemon bool) error {
	r.e.proxy.Heal()
	if r.diskFull {
		if err := r.e.registry.Resize(storageBytes); err != nil {
			return err
		}
	}
	restart := r.daemonKilled
	for _, p := range r.pubs {
		restart = restart || (!keepDaemon && (p.wasKilled() || p.didHang()))
	}
	if restart {
		return r.e.restartDaemon(ctx)
	}
	return nil
}

// goFire runs f beside the publishers; play waits for it.
func (r *round) goFire(f func()) {
	r.fires.Add(1)
	go func() {
		defer r.fires.Done()
		f()
	}()
}

// until waits for ch and reports whether it closed before the round ended.
func (r *round) until(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	case <-r.ctx.Done():
		return false
	}
}

func (r *round) sleep(d time.Duration) bool { return r.until(r.after(d)) }

// after is a channel closed d from now.
func (r *round) after(d time.Duration) <-chan struct{} {
	ch := make(chan struct{})
	time.AfterFunc(d, func() { close(ch) })
	return ch
}

// delayed is ch, closed d later.
func (r *round) delayed(ch <-chan struct{}, d time.Duration) <-chan struct{} {
	out := make(chan struct{})
	r.goFire(func() {
		if r.until(ch) && r.sleep(d) {
			close(out)
		}
	})
	return out
}

// fillDisk leaves slack bytes free on the registry's disk.
func (r *round) fillDisk(slack int64) {
	used, err := r.e.registry.Used()
	if err == nil {
		err = r.e.registry.Resize(used + slack)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.diskFull = err == nil
}

func (r *round) markDaemonKilled() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.daemonKilled = true
}
