// Package push publishes a build all or nothing. The build stages every
// manifest by digest, which makes nothing visible; Commit then moves the
// tags: it records each tag's previous digest, takes the repositories'
// commit records (one publisher at a time per repository; see RecordTag),
// writes its intent there, puts cache tags first and final tags last, and
// if a put fails for good it moves every tag it already moved back. A
// commit killed halfway is rolled back by the next one, or by Recover.
package push

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/sync/errgroup"

	"github.com/cairn-build/cairn/pkg/registry"
)

// Kind orders the moves of a commit: every cache tag before any final tag,
// so a release never points at an image whose cache is older, and its
// signatures before it, so it is never seen unsigned.
type Kind int

const (
	// KindCache is a stage's cache ref.
	KindCache Kind = iota
	// KindFinal is a target's published tag.
	KindFinal
	// KindSignature is a final image's signatures: its referrers fallback
	// tag, or cosign's legacy signature tag (see WithSignatures).
	KindSignature
)

func (k Kind) String() string { return [...]string{"cache", "final", "signature"}[k] }

// order is the kind's place in a commit.
func (k Kind) order() int { return [...]int{0, 2, 1}[k] }

// MarshalText makes kinds readable in the metadata file.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind as MarshalText writes it.
func (k *Kind) UnmarshalText(b []byte) error {
	switch string(b) {
	case "cache":
		*k = KindCache
	case "final":
		*k = KindFinal
	case "signature":
		*k = KindSignature
	default:
		return fmt.Errorf("unknown tag kind %q", b)
	}
	return nil
}

// State is where a tag ended up. The values are stable identifiers: they
// appear in the metadata file.
type State string

const (
	Pending      State = "pending"       // not reached: the commit stopped before it
	Moved        State = "moved"         // now at the new digest
	Unchanged    State = "unchanged"     // already at the new digest
	SkippedNewer State = "skipped-newer" // a cache tag left at a cache from a newer source; see Note
	Conflict     State = "conflict"      // a final tag another publisher moved since the commit started, left there; see Error
	RolledBack   State = "rolled-back"   // moved, then put back at its previous digest (or deleted, if it was new)
	Failed       State = "failed"        // its put failed; it is at its previous digest
	LeftMoved    State = "left-moved"    // moved, and putting it back failed: it is at the new digest; see Error
)

// Move is one tag to point at a staged manifest.
type Move struct {
	Tag    string // full tag reference, e.g. registry.example.com/app:latest
	Digest string // the staged manifest, already in the tag's repository
	Kind   Kind
	// Inputs is the input digest of the build that staged Digest, recorded
	// with the tag once it is there (see Published); "" records none.
	Inputs string
}

// TagResult is what the commit did to one tag.
type TagResult struct {
	Tag  string `json:"tag"`
	Kind Kind   `json:"kind"`
	// Previous is the digest the commit found under the tag ("" when it
	// did not exist): at its start, or just before it moved the tag when
	// another publisher had moved it since.
	Previous string `json:"previous,omitempty"`
	Digest   string `json:"digest"`
	State    State  `json:"state"`
	Error    string `json:"error,omitempty"`
	Note     string `json:"note,omitempty"`
}

// Commit moves every tag to its staged manifest, or leaves them all where
// they were. It returns one result per move, in commit order, also on error.
// The error is a *PrepareError when no tag moved (a *ConflictError inside
// it when another publisher moved final tags), and a *CommitError when the
// commit failed after it began moving tags.
//
// Concurrent publishers take turns per repository through its commit
// record: a commit reads every tag's digest, then takes the records of all
// its repositories (waiting while a live publisher holds one), then checks
// every tag again. A final tag moved since the commit started fails the
// commit before anything moves (unless WithForce); a cache tag whose cache
// is from a newer source (see WithSourceTime) is left, skipped-newer. The
// commit writes its tags to the records, moves caches, checks the final
// tags once more and moves them, and marks the records done. With WithLock
// the records are the lock's, taken ahead, and the tags' digests it read
// before taking them are the ones the commit started from.
func Commit(ctx context.Context, reg *registry.Access, moves []Move, opts ...Option) ([]TagResult, error) {
	moves = slices.Clone(moves)
	slices.SortStableFunc(moves, func(a, b Move) int { return a.Kind.order() - b.Kind.order() })
	o := makeOptions(opts...)
	me := newOwner()
	if o.lock != nil {
		me = o.lock.me
		defer o.lock.Release(context.WithoutCancel(ctx)) // when no commit used it
	}
	c := &commit{reg: reg, o: o, me: me, started: time.Now(), tags: make([]*tagMove, len(moves))}
	for i, m := range moves {
		c.tags[i] = &tagMove{Move: m, result: TagResult{Tag: m.Tag, Kind: m.Kind, Digest: m.Digest, State: Pending}}
	}
	if len(moves) == 0 {
		return c.results(), nil
	}
	if err := c.prepare(ctx); err != nil {
		return c.results(), &PrepareError{Err: err}
	}
	if err := c.keepPublished(ctx); err != nil {
		return c.results(), &PrepareError{Err: err}
	}
	if err := c.sign(ctx); err != nil {
		return c.results(), &PrepareError{Err: err}
	}
	if c.unchanged() && c.recorded(ctx) {
		// Nothing moves (the same sources published again): no record to
		// take, no intent to write, and no second's wait for the lock.
		return c.results(), nil
	}
	ls, taken := c.o.lock.use(ctx, c.repositories())
	if taken {
		c.since(c.o.lock.since)
	} else {
		var err error
		if ls, err = acquireAll(ctx, reg, c.repositories(), c.me, c.o); err != nil {
			return c.results(), &PrepareError{Err: err}
		}
	}
	c.leases = ls
	c.caches = map[string]map[string]cacheEntry{}
	for _, l := range ls.held() {
		c.caches[l.repo.Name()] = l.caches
	}
	err := c.check(ctx, c.tags)
	if err == nil {
		err = c.writeIntent(ctx)
	}
	if err != nil {
		ls.release(context.WithoutCancel(ctx))
		return c.results(), &PrepareError{Err: err}
	}
	err = c.move(ctx)
	if err != nil {
		c.rollback(context.WithoutCancel(ctx))
	}
	ls.close()
	results := c.results()
	ferr := c.finish(context.WithoutCancel(ctx), err == nil)
	if err != nil {
		return results, &CommitError{Tags: results, RolledBack: !slices.ContainsFunc(results, leftMoved), Err: errors.Join(err, ferr)}
	}
	if ferr != nil {
		return results, fmt.Errorf("every tag moved, but the commit records could not be marked done: "+
			"the next publish takes the commit for unfinished and rolls it back: %w", ferr)
	}
	return results, nil
}

func leftMoved(r TagResult) bool { return r.State == LeftMoved }

// unchanged marks every tag Unchanged when each already points at its new
// digest, and reports whether they all did.
func (c *commit) unchanged() bool {
	for _, t := range c.tags {
		if t.result.Previous != t.Digest {
			return false
		}
	}
	for _, t := range c.tags {
		t.result.State = Unchanged
	}
	return true
}

type commit struct {
	reg     *registry.Access
	o       *options
	me      Owner
	started time.Time
	tags    []*tagMove
	leases  *leases
	caches  map[string]map[string]cacheEntry // repository → its record's cache ledger
	noMulti sync.Map                         // registry host → true: it does not take the multi-tag put
}

// tagMove is a move with what the registry told about it.
type tagMove struct {
	Move
	tag      name.Tag
	staged   *remote.Descriptor // the new manifest
	previous *remote.Descriptor // the tag's manifest before the commit; nil if new
	result   TagResult
	// restage stages a signature tag's manifest again from what the tag
	// holds now: the new digest, and the one it merged into (see sign.go).
	restage func(ctx context.Context) (digest, base string, err error)
	base    string
}

// prepare reads every staged manifest and every tag's previous manifest
// before any tag moves: a missing manifest or an unreachable registry stops
// the commit with nothing changed.
func (c *commit) prepare(ctx context.Context) error {
	return c.each(ctx, c.tags, func(t *tagMove) error {
		if err := c.prepareOne(ctx, t); err != nil {
			return fmt.Errorf("%s: %w", t.Tag, err)
		}
		return nil
	})
}

func (c *commit) prepareOne(ctx context.Context, t *tagMove) error {
	tag, err := c.reg.Tag(t.Tag)
	if err != nil {
		return err
	}
	if tag.TagStr() == RecordTag {
		return fmt.Errorf("the tag %s is cairn's commit record", RecordTag)
	}
	t.tag = tag
	staged, err := remote.Get(tag.Context().Digest(t.Digest), c.reg.Remote(ctx)...)
	if err != nil {
		return fmt.Errorf("read staged manifest %s: %w", t.Digest, err)
	}
	t.staged = staged
	return c.setPrevious(ctx, t)
}

// setPrevious reads the tag's manifest now, as the one to put back.
func (c *commit) setPrevious(ctx context.Context, t *tagMove) error {
	previous, err := remote.Get(t.tag, c.reg.Remote(ctx)...)
	switch {
	case registry.IsNotFound(err):
		t.previous, t.result.Previous = nil, ""
		return nil
	case err != nil:
		return fmt.Errorf("read current digest: %w", err)
	}
	t.previous, t.result.Previous = previous, previous.Digest.String()
	return nil
}

// each runs f on every tag, at most Jobs at a time, and returns every error.
func (c *commit) each(_ context.Context, tags []*tagMove, f func(*tagMove) error) error {
	return forEach(c.reg.Jobs(), tags, f)
}

// forEach runs f on every item, at most jobs at a time, and returns every error.
func forEach[T any](jobs int, items []T, f func(T) error) error {
	var (
		mu   sync.Mutex
		errs []error
		g    errgroup.Group
	)
	g.SetLimit(jobs)
	for _, it := range items {
		g.Go(func() error {
			if err := f(it); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
			return nil // keep going: every failure is reported
		})
	}
	_ = g.Wait() // the goroutines return no error: they collect them in errs
	return errors.Join(errs...)
}

// repositories are the repositories of the tags, in name order: the order
// their records are taken in.
func (c *commit) repositories() []name.Repository {
	byName := map[string]name.Repository{}
	for _, t := range c.tags {
		byName[t.tag.Context().Name()] = t.tag.Context()
	}
	repos := make([]name.Repository, 0, len(byName))
	for _, n := range slices.Sorted(maps.Keys(byName)) {
		repos = append(repos, byName[n])
	}
	return repos
}

// move puts the tags kind by kind: caches, then, after checking them
// again, the final tags. It stops at the first kind with a failure, and
// returns every failure of that kind.
func (c *commit) move(ctx context.Context) error {
	finals := slices.IndexFunc(c.tags, func(t *tagMove) bool { return t.Kind == KindFinal })
	if finals < 0 {
		finals = len(c.tags)
	}
	if err := c.moveKind(ctx, c.tags[:finals]); err != nil {
		return err
	}
	if finals == len(c.tags) {
		return nil
	}
	if err := c.leases.verify(ctx); err != nil {
		return err
	}
	if err := c.check(ctx, c.tags[finals:]); err != nil {
		return err
	}
	return c.moveKind(ctx, c.tags[finals:])
}

// moveKind puts one kind's pending tags, concurrently: a repository's tags
// that point at one manifest in one request where the registry can, the
// others one by one.
func (c *commit) moveKind(ctx context.Context, tags []*tagMove) error {
	c.putTogether(ctx, pending(tags))
	var (
		mu       sync.Mutex
		canceled bool
	)
	err := c.each(ctx, pending(tags), func(t *tagMove) error {
		err := c.moveOne(ctx, t)
		if err != nil && t.result.State == Pending { // not tried: the context ended
			mu.Lock()
			canceled = true
			mu.Unlock()
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", t.Tag, err)
		}
		return nil
	})
	if canceled {
		err = errors.Join(err, ctx.Err())
	}
	return err
}

func pending(tags []*tagMove) []*tagMove {
	var out []*tagMove
	for _, t := range tags {
		if t.result.State == Pending {
			out = append(out, t)
		}
	}
	return out
}

func (c *commit) moveOne(ctx context.Context, t *tagMove) error {
	if err := ctx.Err(); err != nil {
		return err // canceled: stop moving, roll back what moved
	}
	if err := remote.Tag(t.tag, t.staged, c.reg.Remote(ctx)...); err != nil {
		t.result.State, t.result.Error = Failed, oneLine(err)
		return err
	}
	t.result.State = Moved
	return nil
}

// rollback puts every moved tag back, last moved first: at its previous
// manifest, or deleted when it did not exist before.
func (c *commit) rollback(ctx context.Context) {
	for i := len(c.tags) - 1; i >= 0; i-- {
		t := c.tags[i]
		if t.result.State != Moved {
			continue
		}
		var err error
		if t.previous != nil {
			err = remote.Tag(t.tag, t.previous, c.reg.Remote(ctx)...)
		} else {
			err = remote.Delete(t.tag, c.reg.Remote(ctx)...)
			if isUnsupported(err) {
				err = fmt.Errorf("the registry does not allow deleting tags, so the new tag stays: %w", err)
			}
		}
		if err != nil {
			t.result.State, t.result.Error = LeftMoved, "roll back: "+oneLine(err)
			continue
		}
		t.result.State = RolledBack
	}
}

func (c *commit) results() []TagResult {
	out := make([]TagResult, len(c.tags))
	for i, t := range c.tags {
		out[i] = t.result
	}
	return out
}

// Current reads where each tag points now: its digest, or "" when it does not exist.
func Current(ctx context.Context, reg *registry.Access, tags []string) (map[string]string, error) {
	current := make(map[string]string, len(tags))
	var errs []error
	for _, t := range tags {
		tag, err := reg.Tag(t)
		if err != nil {
			return nil, err
		}
		if current[t], err = reg.Digest(ctx, tag); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", t, err))
		}
	}
	return current, errors.Join(errs...)
}
