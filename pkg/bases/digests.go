package bases

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/distribution/reference"
	"golang.org/x/sync/errgroup"

	"github.com/cairn-build/cairn/pkg/registry"
)

// Digests are the digests the image refs name now: the manifest, or the
// index of every platform, a pull of the ref reads first (mirrors first,
// as BuildKit's). A ref by digest is its own digest, asked of no registry.
// Each ref is asked once, concurrently; every ref that could not be
// resolved is in the error.
func Digests(ctx context.Context, reg *registry.Access, refs []string) (map[string]string, error) {
	r := &baseResolver{reg: reg, calls: map[string]*fetch{}}
	var (
		mu   sync.Mutex
		out  = make(map[string]string, len(refs))
		errs []error
		g    errgroup.Group
	)
	g.SetLimit(reg.Jobs())
	for _, ref := range refs {
		g.Go(func() error {
			d, err := r.current(ctx, ref)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else {
				out[ref] = d
			}
			return nil
		})
	}
	_ = g.Wait() // the goroutines collect their errors in errs
	return out, errors.Join(errs...)
}

// current is the digest ref names now, normalized as BuildKit names it.
func (r *baseResolver) current(ctx context.Context, ref string) (string, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", fmt.Errorf("image %s: %w", ref, err)
	}
	if c, ok := named.(reference.Canonical); ok {
		return c.Digest().String(), nil
	}
	desc, err := r.get(ctx, reference.TagNameOnly(named).String())
	if err != nil {
		return "", err
	}
	return desc.Digest.String(), nil
}
