package push

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/cairn-build/cairn/pkg/registry"
)

// errBusy is a repository whose record a live publisher holds, for a caller
// that does not wait.
var errBusy = errors.New("another publisher holds the repository")

// errLeaseLost is a commit whose record another publisher took over,
// taking this one for dead: it stops before its final tags.
var errLeaseLost = errors.New("another publisher took this commit's record over")

// lease is a publisher's hold on one repository's commit record.
type lease struct {
	reg  *registry.Access
	repo name.Repository
	tag  name.Tag
	me   Owner
	o    *options

	mu       sync.Mutex
	acquired bool                  // this publisher holds the record
	held     record                // what this publisher last wrote
	lost     bool                  // another publisher took the record over
	caches   map[string]cacheEntry // the record's cache ledger when taken
	inputs   map[string]inputEntry // and its input ledger
}

func newLease(reg *registry.Access, repo name.Repository, me Owner, o *options) *lease {
	return &lease{reg: reg, repo: repo, tag: repo.Tag(RecordTag), me: me, o: o}
}

// acquire takes the repository's record: it waits while a live publisher
// holds it (or returns errBusy without wait), takes over a free or dead
// one's, and rolls back the tags an unfinished commit left moved before it
// returns. The returned recovery is that roll back, nil when there was none.
func (l *lease) acquire(ctx context.Context, wait bool) (*Recovery, error) {
	if err := l.reg.WriteEmptyBlob(ctx, l.repo); err != nil {
		return nil, err
	}
	noted := false
	for {
		cur, err := readRecord(ctx, l.reg, l.tag)
		if err != nil {
			return nil, err
		}
		if cur != nil && cur.live(time.Now(), l.me, l.o.lease.StaleAfter) {
			if !wait {
				return nil, errBusy
			}
			if !noted {
				l.o.notef("waiting for the commit to %s by another publisher (%s, heartbeat %s ago)",
					l.repo, cur.Owner, time.Since(cur.Heartbeat).Round(time.Second))
				noted = true
			}
			if err := sleep(ctx, l.o.lease.Poll); err != nil {
				return nil, err
			}
			continue
		}
		next := record{State: stateLocked, Commit: l.me.ID, Owner: l.me, Heartbeat: time.Now(), Body: &recordBody{Version: 1}}
		if cur != nil {
			next.Body = cur.Body
			if cur.unfinished() {
				// Adopted: its tags stay listed until they are restored, so
				// a crash now leaves them to the next publisher again.
				next.State, next.Commit = stateMoving, cur.Commit
			}
		}
		if err := l.write(ctx, next); err != nil {
			return nil, err
		}
		if err := sleep(ctx, l.o.lease.Settle); err != nil {
			return nil, err
		}
		again, err := readRecord(ctx, l.reg, l.tag)
		if err != nil {
			return nil, err
		}
		if again == nil || again.Owner.ID != l.me.ID {
			continue // another publisher wrote last: it holds the record
		}
		l.mu.Lock()
		l.acquired = true
		l.mu.Unlock()
		l.caches, l.inputs = next.Body.Caches, next.Body.Inputs
		if next.State != stateMoving {
			return nil, nil
		}
		return l.restore(ctx, cur)
	}
}

// restore puts back the tags of the adopted unfinished commit, then holds
// the record as locked. When a tag cannot be put back the record is left
// abandoned, for the next publisher to try again.
func (l *lease) restore(ctx context.Context, dead *record) (*Recovery, error) {
	rec := &Recovery{Repository: l.repo.Name(), Commit: dead.Commit, Owner: dead.Owner, Heartbeat: dead.Heartbeat}
	if dead.Body.Commit == dead.Commit {
		rec.Tags = restoreTags(ctx, l.reg, l.repo, dead.Body.Tags)
	}
	body := *dead.Body
	body.Outcome = "recovered"
	body.Tags = make([]recordTag, len(rec.Tags))
	var failed []error
	for i, t := range rec.Tags {
		body.Tags[i] = recordTag{Tag: dead.Body.Tags[i].Tag, Kind: t.Kind, Previous: t.Previous, Digest: t.Digest, State: t.State}
		if t.State == LeftMoved {
			failed = append(failed, fmt.Errorf("%s: %s", t.Tag, t.Error))
		}
	}
	if len(failed) > 0 {
		_ = l.write(ctx, record{State: stateAbandoned, Commit: dead.Commit, Owner: l.me, Heartbeat: time.Now(), Body: l.held.Body})
		return rec, fmt.Errorf("an unfinished commit to %s could not be rolled back: %w", l.repo, errors.Join(failed...))
	}
	l.o.notef("%s", rec)
	return rec, l.write(ctx, record{State: stateLocked, Commit: l.me.ID, Owner: l.me, Heartbeat: time.Now(), Body: &body})
}

// write puts the record and remembers it as held.
func (l *lease) write(ctx context.Context, r record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.writeLocked(ctx, r)
}

func (l *lease) writeLocked(ctx context.Context, r record) error {
	if l.lost {
		return errLeaseLost
	}
	if err := writeRecord(ctx, l.reg, l.tag, r); err != nil {
		return err
	}
	l.held = r
	return nil
}

// set writes the record in state with a new body, still held by this
// publisher (locked, moving) or freed (done, abandoned).
func (l *lease) set(ctx context.Context, state recordState, commit string, body *recordBody) error {
	return l.write(ctx, record{State: state, Commit: commit, Owner: l.me, Heartbeat: time.Now(), Body: body})
}

// renew refreshes the heartbeat, after checking that the record is still
// this publisher's: one that took it over must not be overwritten.
func (l *lease) renew(ctx context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.acquired || l.lost || (l.held.State != stateLocked && l.held.State != stateMoving) {
		return
	}
	cur, err := readRecord(ctx, l.reg, l.tag)
	if err != nil {
		return // try again at the next beat; the record stays fresh for StaleAfter
	}
	if cur == nil || cur.Owner.ID != l.me.ID {
		l.lost = true
		l.o.notef("the commit record %s was taken over by another publisher (%s)", l.tag, ownerOf(cur))
		return
	}
	next := l.held
	next.Heartbeat = time.Now()
	_ = l.writeLocked(ctx, next) // a failed beat is retried at the next one
}

// verify reads the record and checks that it is still this publisher's,
// marking the lease lost when it is not. The settle cannot exclude a
// second holder when a write lands later than Settle after the read before
// it (a registry slower than assumed): the late writer then holds the
// record too. Its write is visible here, so a commit verifies its leases
// right before it moves final tags and stops when another holds one.
func (l *lease) verify(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost {
		return errLeaseLost
	}
	cur, err := readRecord(ctx, l.reg, l.tag)
	if err != nil {
		return err
	}
	if cur == nil || cur.Owner.ID != l.me.ID {
		l.lost = true
		l.o.notef("the commit record %s was taken over by another publisher (%s)", l.tag, ownerOf(cur))
		return errLeaseLost
	}
	return nil
}

func ownerOf(r *record) string {
	if r == nil {
		return "it deleted the record"
	}
	return r.Owner.String()
}

// leases are a commit's holds on every repository it moves tags in, taken
// in name order so that two publishers never wait for each other, and
// renewed together.
type leases struct {
	mu   sync.Mutex
	all  []*lease
	stop context.CancelFunc
	done chan struct{}
}

// startLeases starts the heartbeat of the leases that will be added.
func startLeases(ctx context.Context, o *options) *leases {
	beat, stop := context.WithCancel(context.WithoutCancel(ctx))
	ls := &leases{stop: stop, done: make(chan struct{})}
	go ls.heartbeat(beat, o.lease.Heartbeat)
	return ls
}

func acquireAll(ctx context.Context, reg *registry.Access, repos []name.Repository, me Owner, o *options) (*leases, error) {
	ls := startLeases(ctx, o)
	for _, repo := range repos {
		l := newLease(reg, repo, me, o)
		ls.add(l) // renewed once acquired, also while it rolls back an unfinished commit
		if _, err := l.acquire(ctx, true); err != nil {
			ls.release(context.WithoutCancel(ctx))
			return nil, err
		}
	}
	return ls, nil
}

func (ls *leases) add(l *lease) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	ls.all = append(ls.all, l)
}

func (ls *leases) heartbeat(ctx context.Context, every time.Duration) {
	defer close(ls.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, l := range ls.held() {
				l.renew(ctx)
			}
		}
	}
}

func (ls *leases) held() []*lease {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return append([]*lease(nil), ls.all...)
}

// release frees every record held, for a publisher none of whose tags
// moved. The body stays as it is.
func (ls *leases) release(ctx context.Context) {
	ls.close()
	for _, l := range ls.held() {
		if l.acquired && (l.held.State == stateLocked || l.held.State == stateMoving) {
			done := l.held
			done.State, done.Heartbeat = stateDone, time.Now()
			_ = l.write(ctx, done)
		}
	}
}

// close stops the heartbeat.
func (ls *leases) close() {
	ls.stop()
	<-ls.done
}

// verify checks that every record is still this publisher's (see
// lease.verify).
func (ls *leases) verify(ctx context.Context) error {
	for _, l := range ls.held() {
		if err := l.verify(ctx); err != nil {
			return err
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
