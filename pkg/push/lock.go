package push

import (
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/cairn-build/cairn/pkg/registry"
)

// Lock is a publisher's hold on the commit records of the repositories it
// is about to publish to, taken before its commit: taking a record waits
// a Settle (see Lease) after writing it, which the publisher can spend on
// its checks and cache saves instead of inside the commit. A Commit given
// the lock (WithLock) uses it when it holds every repository the commit
// moves tags in, and takes the records itself otherwise; Release frees a
// lock no commit used.
type Lock struct {
	me    Owner
	repos []string      // the repositories' names, in the order taken
	taken chan struct{} // closed once since, ls and err are set
	// since is where each tag pointed before the records were taken: the
	// commit's start, for telling a final tag another publisher moved.
	since map[string]string
	ls    *leases
	err   error
	stop  context.CancelFunc // ends the taking

	mu      sync.Mutex
	settled bool // used by a commit, or released
}

// TakeLock reads where tags (tag references) point, then takes the commit
// records of their repositories, in name order, waiting for a live
// publisher as Commit does; it returns at once. A commit that uses the
// lock takes a final tag moved since then for another publisher's, as one
// moved since its own start. A tag that is not a reference is left to the
// commit to refuse.
func TakeLock(ctx context.Context, reg *registry.Access, tags []string, opts ...Option) *Lock {
	o := makeOptions(opts...)
	byName := map[string]name.Repository{}
	for _, ref := range tags {
		if tag, err := reg.Tag(ref); err == nil {
			byName[tag.Context().Name()] = tag.Context()
		}
	}
	ctx, stop := context.WithCancel(ctx)
	l := &Lock{me: newOwner(), repos: slices.Sorted(maps.Keys(byName)), taken: make(chan struct{}), stop: stop}
	repos := make([]name.Repository, len(l.repos))
	for i, n := range l.repos {
		repos[i] = byName[n]
	}
	go func() {
		defer close(l.taken)
		if l.since, l.err = Current(ctx, reg, tags); l.err == nil {
			l.ls, l.err = acquireAll(ctx, reg, repos, l.me, o)
		}
	}()
	return l
}

// Wait returns once the records are taken, or their taking failed: with
// its error, or ctx's.
func (l *Lock) Wait(ctx context.Context) error {
	select {
	case <-l.taken:
		return l.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Release frees the records of a lock that no commit used, and stops the
// taking of the others (a wait for another publisher included). A lock a
// commit used is the commit's to free: Release does nothing then, nor the
// second time.
func (l *Lock) Release(ctx context.Context) {
	if l == nil {
		return
	}
	l.mu.Lock()
	settled := l.settled
	l.settled = true
	l.mu.Unlock()
	if settled {
		return
	}
	l.stop()
	<-l.taken
	if l.ls != nil {
		l.ls.release(ctx)
	}
}

// use hands the commit the leases of a lock taken on exactly repos, and
// releases one that failed or was taken on others (nil, false).
func (l *Lock) use(ctx context.Context, repos []name.Repository) (*leases, bool) {
	if l == nil {
		return nil, false
	}
	select {
	case <-l.taken:
	case <-ctx.Done():
		return nil, false
	}
	names := make([]string, len(repos))
	for i, r := range repos {
		names[i] = r.Name()
	}
	if l.err != nil || !slices.Equal(names, l.repos) {
		l.Release(context.WithoutCancel(ctx))
		return nil, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.settled {
		return nil, false
	}
	l.settled = true
	l.stop() // the taking is over: this only frees the context
	return l.ls, true
}

// WithLock has the commit use l, taken ahead of it (see Lock). The commit
// frees l, used or not.
func WithLock(l *Lock) Option { return func(o *options) { o.lock = l } }

// since starts each pending tag from where the lock saw it: check then
// takes a tag that points elsewhere now for moved since the commit started.
func (c *commit) since(seen map[string]string) {
	for _, t := range pending(c.tags) {
		if d, ok := seen[t.Tag]; ok {
			t.result.Previous = d
		}
	}
}
