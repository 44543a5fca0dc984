// Package push publishes a build all or nothing. The build stages every
// manifest by digest, which makes nothing visible; Commit then moves the tags:
// it records each tag's previous digest, puts cache tags first and final tags
// last, and if a put fails for good it moves every tag it already moved back.
package push

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/sync/errgroup"

	"github.com/cairn-build/cairn/pkg/registry"
)

// Kind orders the moves of a commit: every cache tag before any final tag,
// so a release never points at an image whose cache is older.
type Kind int

const (
	// KindCache is a stage's cache ref.
	KindCache Kind = iota
	// KindFinal is a target's published tag.
	KindFinal
)

func (k Kind) String() string { return [...]string{"cache", "final"}[k] }

// MarshalText makes kinds readable in the metadata file.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// State is where a tag ended up. The values are stable identifiers: they
// appear in the metadata file.
type State string

const (
	Pending    State = "pending"     // not reached: the commit stopped before it
	Moved      State = "moved"       // now at the new digest
	Unchanged  State = "unchanged"   // already at the new digest
	RolledBack State = "rolled-back" // moved, then put back at its previous digest (or deleted, if it was new)
	Failed     State = "failed"      // its put failed; it is at its previous digest
	LeftMoved  State = "left-moved"  // moved, and putting it back failed: it is at the new digest; see Error
)

// Move is one tag to point at a staged manifest.
type Move struct {
	Tag    string // full tag reference, e.g. registry.example.com/app:latest
	Digest string // the staged manifest, already in the tag's repository
	Kind   Kind
}

// TagResult is what the commit did to one tag.
type TagResult struct {
	Tag      string `json:"tag"`
	Kind     Kind   `json:"kind"`
	Previous string `json:"previous,omitempty"` // "" when the tag did not exist
	Digest   string `json:"digest"`
	State    State  `json:"state"`
	Error    string `json:"error,omitempty"`
}

// Commit moves every tag to its staged manifest, or leaves them all where
// they were. It returns one result per move, in commit order, also on error.
// The error is a *PrepareError when no tag moved, and a *CommitError when
// the commit failed after it began moving tags.
func Commit(ctx context.Context, reg *registry.Access, moves []Move) ([]TagResult, error) {
	moves = slices.Clone(moves)
	slices.SortStableFunc(moves, func(a, b Move) int { return int(a.Kind) - int(b.Kind) })
	c := &commit{reg: reg, tags: make([]*tagMove, len(moves))}
	for i, m := range moves {
		c.tags[i] = &tagMove{Move: m, result: TagResult{Tag: m.Tag, Kind: m.Kind, Digest: m.Digest, State: Pending}}
	}
	if err := c.prepare(ctx); err != nil {
		return c.results(), &PrepareError{Err: err}
	}
	if err := c.move(ctx); err != nil {
		c.rollback(context.WithoutCancel(ctx))
		results := c.results()
		return results, &CommitError{Tags: results, RolledBack: !slices.ContainsFunc(results, leftMoved), Err: err}
	}
	return c.results(), nil
}

func leftMoved(r TagResult) bool { return r.State == LeftMoved }

type commit struct {
	reg  *registry.Access
	tags []*tagMove
}

// tagMove is a move with what the registry told about it.
type tagMove struct {
	Move
	tag      name.Tag
	staged   *remote.Descriptor // the new manifest
	previous *remote.Descriptor // the tag's manifest before the commit; nil if new
	result   TagResult
}

// prepare reads every staged manifest and every tag's previous manifest
// before any tag moves: a missing manifest or an unreachable registry stops
// the commit with nothing changed.
func (c *commit) prepare(ctx context.Context) error {
	var (
		mu   sync.Mutex
		errs []error
		g    errgroup.Group
	)
	g.SetLimit(c.reg.Jobs())
	for _, t := range c.tags {
		g.Go(func() error {
			if err := c.prepareOne(ctx, t); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", t.Tag, err))
				mu.Unlock()
			}
			return nil // keep reading: every failure is reported
		})
	}
	_ = g.Wait() // the goroutines return no error: they collect them in errs
	return errors.Join(errs...)
}

func (c *commit) prepareOne(ctx context.Context, t *tagMove) error {
	tag, err := c.reg.Tag(t.Tag)
	if err != nil {
		return err
	}
	t.tag = tag
	staged, err := remote.Get(tag.Context().Digest(t.Digest), c.reg.Remote(ctx)...)
	if err != nil {
		return fmt.Errorf("read staged manifest %s: %w", t.Digest, err)
	}
	t.staged = staged
	previous, err := remote.Get(tag, c.reg.Remote(ctx)...)
	switch {
	case isNotFound(err):
		return nil
	case err != nil:
		return fmt.Errorf("read current digest: %w", err)
	}
	t.previous = previous
	t.result.Previous = previous.Digest.String()
	return nil
}

// move puts the tags kind by kind, each kind's tags concurrently. It stops
// at the first kind with a failure, and returns every failure of that kind.
func (c *commit) move(ctx context.Context) error {
	for start := 0; start < len(c.tags); {
		end := start
		for end < len(c.tags) && c.tags[end].Kind == c.tags[start].Kind {
			end++
		}
		var (
			mu       sync.Mutex
			errs     []error
			canceled bool
			g        errgroup.Group
		)
		g.SetLimit(c.reg.Jobs())
		for _, t := range c.tags[start:end] {
			g.Go(func() error {
				err := c.moveOne(ctx, t)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
				case t.result.State == Pending: // not tried: the context ended
					canceled = true
				default:
					errs = append(errs, fmt.Errorf("%s: %w", t.Tag, err))
				}
				return nil // let the kind's other puts finish: they are rolled back together
			})
		}
		_ = g.Wait() // the goroutines return no error: they collect them in errs
		if canceled {
			errs = append(errs, ctx.Err())
		}
		if err := errors.Join(errs...); err != nil {
			return err
		}
		start = end
	}
	return nil
}

func (c *commit) moveOne(ctx context.Context, t *tagMove) error {
	if t.result.Previous == t.Digest {
		t.result.State = Unchanged
		return nil
	}
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
		desc, err := remote.Head(tag, reg.Remote(ctx)...)
		switch {
		case isNotFound(err):
			current[t] = ""
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", t, err))
		default:
			current[t] = desc.Digest.String()
		}
	}
	return current, errors.Join(errs...)
}
