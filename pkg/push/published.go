package push

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	"golang.org/x/sync/errgroup"

	"github.com/cairn-build/cairn/pkg/registry"
)

// Published reports whether a publish of moves (their Tag, Kind and
// Inputs; Digest is not read) has nothing to move: every tag is where a
// finished cairn commit put it, in its repository's commit record, for
// the same inputs, and is still there. It reads each repository's record
// once and each tag's digest once (a HEAD), concurrently. With none to
// move it reports false; when it reports true, the results are the tags,
// unchanged at their digests. A tag moved by anyone since, a record held
// by a publisher at work or left unfinished, or a move without inputs
// reports false.
func Published(ctx context.Context, reg *registry.Access, moves []Move) ([]TagResult, bool, error) {
	if len(moves) == 0 {
		return nil, false, nil
	}
	c := &commit{reg: reg, tags: make([]*tagMove, len(moves))}
	for i, m := range moves {
		if m.Inputs == "" {
			return nil, false, nil
		}
		tag, err := reg.Tag(m.Tag)
		if err != nil {
			return nil, false, err
		}
		c.tags[i] = &tagMove{Move: m, tag: tag, result: TagResult{Tag: m.Tag, Kind: m.Kind, State: Unchanged}}
	}
	ledgers, err := c.ledgers(ctx, true)
	if err != nil || !c.inLedger(ledgers, func(t *tagMove, e inputEntry) { t.Digest = e.Digest }) {
		return nil, false, err
	}
	var (
		mu    sync.Mutex
		moved bool
	)
	err = c.each(ctx, c.tags, func(t *tagMove) error {
		current, err := reg.Digest(ctx, t.tag)
		if err != nil {
			return fmt.Errorf("%s: %w", t.Tag, err)
		}
		t.result.Previous, t.result.Digest = current, current
		if current != t.Digest {
			mu.Lock()
			moved = true
			mu.Unlock()
		}
		return nil
	})
	if err != nil || moved {
		return nil, false, err
	}
	return c.results(), true, nil
}

// ledgers are the input ledgers of the records of the tags' repositories,
// by repository name, read concurrently; a repository without a record,
// or (when done is set) whose record is not done, has none.
func (c *commit) ledgers(ctx context.Context, done bool) (map[string]map[string]inputEntry, error) {
	repos := map[string]name.Repository{}
	for _, t := range c.tags {
		repos[t.tag.Context().Name()] = t.tag.Context()
	}
	var (
		mu  sync.Mutex
		out = make(map[string]map[string]inputEntry, len(repos))
		g   errgroup.Group
	)
	g.SetLimit(c.reg.Jobs())
	for n, repo := range repos {
		g.Go(func() error {
			r, err := readRecord(ctx, c.reg, repo.Tag(RecordTag))
			if err != nil || r == nil || (done && r.State != stateDone) {
				return err
			}
			mu.Lock()
			out[n] = r.Body.Inputs
			mu.Unlock()
			return nil
		})
	}
	return out, g.Wait()
}

// inLedger reports whether every tag's inputs are those its repository's
// ledger records for it, calling found with each entry.
func (c *commit) inLedger(ledgers map[string]map[string]inputEntry, found func(*tagMove, inputEntry)) bool {
	for _, t := range c.tags {
		e, ok := ledgers[t.tag.Context().Name()][t.tag.TagStr()]
		if !ok || e.Inputs != t.Inputs {
			return false
		}
		found(t, e)
	}
	return true
}

// recorded reports whether the records already hold what a commit that
// moves nothing would write to their input ledgers: then it writes
// nothing. Inputs that changed while the images did not (a file no image
// holds) are written, so the next publish of them has nothing to build.
// A record that cannot be read counts as recorded: nothing moves anyway.
func (c *commit) recorded(ctx context.Context) bool {
	withInputs := &commit{reg: c.reg}
	for _, t := range c.tags {
		if t.Inputs != "" {
			withInputs.tags = append(withInputs.tags, t)
		}
	}
	if len(withInputs.tags) == 0 {
		return true
	}
	ledgers, err := withInputs.ledgers(ctx, false)
	if err != nil {
		c.o.notef("the commit records could not be read to record the build's inputs: %v", err)
		return true
	}
	same := true
	return withInputs.inLedger(ledgers, func(t *tagMove, e inputEntry) { same = same && e.Digest == t.Digest }) && same
}

// ledger is the input ledger m with what a published commit did to t:
// a tag there for known inputs is recorded with them, a tag moved for
// unknown ones is not; a tag left where another publisher put it
// (skipped-newer) keeps that publisher's entry.
func ledger(m map[string]inputEntry, t *tagMove) map[string]inputEntry {
	switch {
	case t.result.State != Moved && t.result.State != Unchanged:
	case t.Inputs != "":
		if m == nil {
			m = map[string]inputEntry{}
		}
		m[t.tag.TagStr()] = inputEntry{Digest: t.Digest, Inputs: t.Inputs}
	case t.result.State == Moved:
		delete(m, t.tag.TagStr())
	}
	return m
}
