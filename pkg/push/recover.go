package push

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cairn-build/cairn/pkg/registry"
)

// Recovery is an unfinished commit found in a repository's record: either
// rolled back, or left alone because its publisher is still at work.
type Recovery struct {
	Repository string    `json:"repository"`
	Commit     string    `json:"commit"`
	Owner      Owner     `json:"owner"`     // the publisher that left it
	Heartbeat  time.Time `json:"heartbeat"` // its last sign of life
	// Live is a commit whose publisher is still at work: nothing was touched.
	Live bool `json:"live,omitempty"`
	// Tags is what the roll back did to each tag the commit listed:
	// rolled-back (at its previous digest again, or deleted when it was
	// new), pending (already at its previous digest), conflict (moved
	// since by another publisher, left there) or left-moved (putting it
	// back failed).
	Tags []TagResult `json:"tags,omitempty"`
}

func (r Recovery) String() string {
	var b strings.Builder
	if r.Live {
		fmt.Fprintf(&b, "a commit to %s by %s is in progress (heartbeat %s ago): left alone",
			r.Repository, r.Owner, time.Since(r.Heartbeat).Round(time.Second))
		return b.String()
	}
	fmt.Fprintf(&b, "rolled back the unfinished commit to %s by %s (last heartbeat %s):",
		r.Repository, r.Owner, r.Heartbeat.Format(time.RFC3339))
	for _, t := range r.Tags {
		fmt.Fprintf(&b, "\n  %s: ", t.Tag)
		switch {
		case t.State == RolledBack && t.Previous == "":
			b.WriteString("deleted (it was new)")
		case t.State == RolledBack:
			fmt.Fprintf(&b, "restored to %s", t.Previous)
		case t.State == Pending:
			b.WriteString("already at its previous digest")
		default:
			fmt.Fprintf(&b, "%s (%s)", t.State, t.Error)
		}
	}
	return b.String()
}

// Recover looks at the commit record of each repository (a repository, or
// a tag in it) and rolls back a commit its publisher left unfinished: every
// tag the record lists goes back to its previous digest, or is deleted when
// it was new, and the record is marked done. A commit is unfinished when
// its publisher abandoned it, or when its heartbeat is older than the
// lease's StaleAfter or its process visibly exited (see Lease); a commit
// whose publisher is still at work is reported Live and left alone.
// Commit does the same for its repositories before it moves any tag.
func Recover(ctx context.Context, reg *registry.Access, repositories []string, opts ...Option) ([]Recovery, error) {
	o := makeOptions(opts...)
	me := newOwner()
	var (
		found []Recovery
		errs  []error
	)
	seen := map[string]bool{}
	for _, ref := range repositories {
		tag, err := reg.Tag(ref)
		if err != nil {
			return found, err
		}
		repo := tag.Context()
		if seen[repo.Name()] {
			continue
		}
		seen[repo.Name()] = true
		r, err := recoverOne(ctx, reg, repo, me, o)
		if r != nil {
			found = append(found, *r)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return found, errors.Join(errs...)
}

func recoverOne(ctx context.Context, reg *registry.Access, repo name.Repository, me Owner, o *options) (*Recovery, error) {
	cur, err := readRecord(ctx, reg, repo.Tag(RecordTag))
	if err != nil || cur == nil || !cur.unfinished() {
		return nil, err
	}
	if cur.live(time.Now(), me, o.lease.StaleAfter) {
		r := &Recovery{Repository: repo.Name(), Commit: cur.Commit, Owner: cur.Owner, Heartbeat: cur.Heartbeat, Live: true}
		o.notef("%s", r)
		return r, nil
	}
	ls := startLeases(ctx, o)
	l := newLease(reg, repo, me, o)
	ls.add(l) // renewed while it rolls back
	r, err := l.acquire(ctx, false)
	switch {
	case errors.Is(err, errBusy):
		ls.close()
		return nil, nil // taken by a live publisher since: it rolls the commit back
	case err != nil:
		ls.close()
		return r, err
	}
	ls.release(context.WithoutCancel(ctx))
	return r, nil
}

// restoreTags puts each tag an unfinished commit listed back where it was,
// when it is still at the digest the commit moved it to; final tags first,
// the reverse of the commit's order.
func restoreTags(ctx context.Context, reg *registry.Access, repo name.Repository, tags []recordTag) []TagResult {
	results := make([]TagResult, 0, len(tags))
	for _, rt := range slices.Backward(tags) {
		tag := repo.Tag(rt.Tag)
		r := TagResult{Tag: tag.String(), Kind: rt.Kind, Previous: rt.Previous, Digest: rt.Digest, State: Pending}
		if err := restoreTag(ctx, reg, tag, &r); err != nil {
			r.State, r.Error = LeftMoved, "roll back: "+oneLine(err)
		}
		results = append(results, r)
	}
	slices.Reverse(results)
	return results
}

func restoreTag(ctx context.Context, reg *registry.Access, tag name.Tag, r *TagResult) error {
	current, err := reg.Digest(ctx, tag)
	if err != nil {
		return err
	}
	switch current {
	case r.Previous:
		return nil // had not moved: pending
	case r.Digest:
	default:
		r.State, r.Error = Conflict, "moved since by another publisher to "+orNone(current)+"; left there"
		return nil
	}
	if r.Previous == "" {
		if err := remote.Delete(tag, reg.Remote(ctx)...); err != nil {
			return err
		}
	} else {
		previous, err := remote.Get(tag.Context().Digest(r.Previous), reg.Remote(ctx)...)
		if err != nil {
			return fmt.Errorf("read previous manifest %s: %w", r.Previous, err)
		}
		if err := remote.Tag(tag, previous, reg.Remote(ctx)...); err != nil {
			return err
		}
	}
	r.State = RolledBack
	return nil
}

func orNone(digest string) string {
	if digest == "" {
		return "(no tag)"
	}
	return digest
}
