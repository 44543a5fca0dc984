package cache

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// State is what the registry holds under a cache ref.
type State string

const (
	Found   State = "found"
	Missing State = "missing" // not there yet: the first run, or a new stage
)

// Probe asks the registry, concurrently, which refs exist. A ref that does
// not exist is Missing; an unreachable registry or a refused login is an
// error, since the build could not push either.
func (r Registries) Probe(ctx context.Context, refs []string) (map[string]State, error) {
	states := make(map[string]State, len(refs))
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs []error
	)
	for _, ref := range unique(refs) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			state, err := r.probe(ctx, ref)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("cache %s: %w", ref, err))
				return
			}
			states[ref] = state
		}()
	}
	wg.Wait()
	return states, errors.Join(errs...)
}

func (r Registries) probe(ctx context.Context, ref string) (State, error) {
	var opts []name.Option
	if r.IsInsecure(ref) {
		opts = append(opts, name.Insecure)
	}
	parsed, err := name.ParseReference(ref, opts...)
	if err != nil {
		return "", err
	}
	_, err = remote.Head(parsed, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain))
	var terr *transport.Error
	switch {
	case err == nil:
		return Found, nil
	case errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound:
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
