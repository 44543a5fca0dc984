package cache

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/cairn-build/cairn/pkg/registry"
)

// State is what the registry holds under a cache ref.
type State string

const (
	Found   State = "found"
	Missing State = "missing" // not there yet: the first run, or a new stage
)

// Probe asks the registry, at most reg.Jobs() at a time, which refs exist. A
// ref that does not exist is Missing; an unreachable registry, a refused
// login or a ref that does not parse is an error, since the build could not
// push either. Every failed ref is reported.
func Probe(ctx context.Context, reg *registry.Access, refs []string) (map[string]State, error) {
	states := make(map[string]State, len(refs))
	err := eachRef(reg, refs, func(ref string) (func(), error) {
		state, err := probe(ctx, reg, ref)
		return func() { states[ref] = state }, err
	})
	return states, err
}

// eachRef calls read for every ref once, at most reg.Jobs() at a time, and
// then, one at a time, what read returned: keep, for a ref read, to record
// it. Every ref's failure is reported, naming the ref.
func eachRef(reg *registry.Access, refs []string, read func(ref string) (keep func(), err error)) error {
	var (
		mu   sync.Mutex
		errs []error
		g    errgroup.Group
	)
	g.SetLimit(reg.Jobs())
	for _, ref := range unique(refs) {
		g.Go(func() error {
			keep, err := read(ref)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("cache %s: %w", ref, err))
				return nil // keep reading: every failure is reported
			}
			keep()
			return nil
		})
	}
	_ = g.Wait() // the goroutines return no error: they collect them in errs
	return errors.Join(errs...)
}

func probe(ctx context.Context, reg *registry.Access, ref string) (State, error) {
	parsed, err := reg.Reference(ref)
	if err != nil {
		return "", err
	}
	_, err = reg.Head(ctx, parsed)
	switch {
	case err == nil:
		return Found, nil
	case registry.IsNotFound(err):
		return Missing, nil
	default:
		return "", err
	}
}

func unique(refs []string) []string {
	seen := make(map[string]bool, len(refs))
	out := refs[:0:0]
	for _, ref := range refs {
		if !seen[ref] {
			seen[ref] = true
			out = append(out, ref)
		}
	}
	return out
}
