package push

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"
)

// check reads each pending tag's digest again, now that the commit holds
// the records, and decides: a tag at the new digest is unchanged; a cache
// tag whose cache is from a newer source stays (skipped-newer); a tag
// another publisher moved since the commit started is a conflict when it
// is final (unless forced), and otherwise moves from where it is now.
func (c *commit) check(ctx context.Context, tags []*tagMove) error {
	var (
		mu        sync.Mutex
		conflicts []TagResult
	)
	err := c.each(ctx, pending(tags), func(t *tagMove) error {
		if err := c.checkOne(ctx, t); err != nil {
			return fmt.Errorf("%s: %w", t.Tag, err)
		}
		if t.result.State == Conflict {
			mu.Lock()
			conflicts = append(conflicts, t.result)
			mu.Unlock()
		}
		return nil
	})
	if len(conflicts) > 0 {
		err = errors.Join(&ConflictError{Tags: conflicts}, err)
	}
	return err
}

func (c *commit) checkOne(ctx context.Context, t *tagMove) error {
	current, err := c.reg.Digest(ctx, t.tag)
	if err != nil {
		return err
	}
	if t.restage != nil && current != t.base {
		// Another signer added to the tag's list: merge into it again.
		if err := c.stageSigned(ctx, t); err != nil {
			return err
		}
		current = t.result.Previous
	}
	switch {
	case current == t.Digest:
		t.result.State, t.result.Previous = Unchanged, current
		return nil
	case t.Kind == KindCache && c.newerThere(t, current):
		return nil
	case current == t.result.Previous:
		return nil // as when the commit started
	case t.Kind == KindFinal && !c.o.force:
		t.result.State = Conflict
		t.result.Error = fmt.Sprintf("moved by another publisher from %s to %s", orNone(t.result.Previous), orNone(current))
		return nil
	case t.Kind == KindFinal:
		t.result.Note = fmt.Sprintf("moved by another publisher from %s to %s; overwritten (force)", orNone(t.result.Previous), orNone(current))
		c.o.notef("%s: %s", t.Tag, t.result.Note)
	}
	return c.setPrevious(ctx, t) // put back where the other publisher left it
}

// newerThere marks the cache tag skipped-newer when the record says the
// cache under it is from a newer source than this build's.
func (c *commit) newerThere(t *tagMove, current string) bool {
	e, ok := c.caches[t.tag.Context().Name()][t.tag.TagStr()]
	if !ok || current == "" || e.Digest != current || c.o.sourceTime.IsZero() || !e.SourceTime.After(c.o.sourceTime) {
		return false
	}
	t.result.State, t.result.Previous = SkippedNewer, current
	t.result.Note = fmt.Sprintf("the cache there is from a newer source (%s; this build's is %s)",
		e.SourceTime.UTC().Format(time.RFC3339), c.o.sourceTime.UTC().Format(time.RFC3339))
	return true
}

// writeIntent lists, in each repository's record, the tags the commit is
// about to move there: what the next publisher restores if this one dies.
func (c *commit) writeIntent(ctx context.Context) error {
	for _, l := range c.leases.held() {
		if err := l.set(ctx, stateMoving, c.me.ID, c.body(l, "", false)); err != nil {
			return err
		}
	}
	return nil
}

// finish marks each record done with what the commit did, or abandoned
// when a tag of its repository could not be put back, for the next
// publisher to restore. A published commit updates the cache ledger.
func (c *commit) finish(ctx context.Context, published bool) error {
	var errs []error
	for _, l := range c.leases.held() {
		state, outcome := stateDone, "published"
		if !published {
			outcome = "rolled-back"
		}
		for _, t := range c.tags {
			if t.tag.Context().Name() == l.repo.Name() && t.result.State == LeftMoved {
				state, outcome = stateAbandoned, "left-moved"
			}
		}
		// A record another publisher took over is its record now: not written.
		if err := l.set(ctx, state, c.me.ID, c.body(l, outcome, published)); err != nil && !errors.Is(err, errLeaseLost) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// body is the record body of repository l: the tags the commit moves there
// (before it moves: the pending ones; after: all, with their states).
func (c *commit) body(l *lease, outcome string, published bool) *recordBody {
	b := &recordBody{Version: 1, Commit: c.me.ID, Started: c.started, SourceTime: c.o.sourceTime, Outcome: outcome,
		Caches: maps.Clone(l.caches), Inputs: maps.Clone(l.inputs)}
	for _, r := range c.repositories() {
		b.Repositories = append(b.Repositories, r.Name())
	}
	for _, t := range c.tags {
		if t.tag.Context().Name() != l.repo.Name() || (outcome == "" && t.result.State != Pending) {
			continue
		}
		rt := recordTag{Tag: t.tag.TagStr(), Kind: t.Kind, Previous: t.result.Previous, Digest: t.Digest}
		if outcome != "" {
			rt.State = t.result.State
		}
		b.Tags = append(b.Tags, rt)
		if published {
			b.Inputs = ledger(b.Inputs, t)
		}
		if published && t.Kind == KindCache && !c.o.sourceTime.IsZero() && (t.result.State == Moved || t.result.State == Unchanged) {
			if b.Caches == nil {
				b.Caches = map[string]cacheEntry{}
			}
			e := cacheEntry{Digest: t.Digest, SourceTime: c.o.sourceTime}
			if old, ok := b.Caches[t.tag.TagStr()]; ok && old.Digest == t.Digest && old.SourceTime.After(e.SourceTime) {
				e.SourceTime = old.SourceTime // the same cache, built from a newer source before
			}
			b.Caches[t.tag.TagStr()] = e
		}
	}
	return b
}
