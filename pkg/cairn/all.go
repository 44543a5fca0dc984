package cairn

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/push"
)

// RunAll is Run for projects released together (a bake file's targets):
// each is built and checked on b, all at once but for one that reads
// another as a named context (Links), which waits for it; with opts.Push,
// only when all succeeded one commit moves all their tags, in every
// repository, caches first, final tags last: a failure anywhere cancels
// the others and moves nothing anywhere. Every project's Preflight runs
// before any is built. The commit takes the first project's options
// (insecure hosts, signing). Reports are in ps's order, nil for one not
// reached; Name names each in errors. A tag two projects publish at two
// digests fails before the commit (push.Merge); pkg/bake refuses it
// before the build.
func RunAll(ctx context.Context, b Builder, ps []*Project, opts RunOptions) ([]*Report, error) {
	started := time.Now()
	reports := make([]*Report, len(ps))
	done := make([]*built, len(ps))
	// Every project's options and Preflight before any build: a mistake in
	// one target stops the release before another is built.
	each := make([]RunOptions, len(ps))
	for i, p := range ps {
		o, err := opts.withDefaults(p)
		if err == nil {
			err = p.Preflight(ctx, o)
		}
		if err != nil {
			return reports, o.unpublished(fmt.Errorf("%s: %w", p.Name, err))
		}
		each[i] = o
	}
	finished := make([]chan struct{}, len(ps))
	for i := range ps {
		finished[i] = make(chan struct{})
	}
	g, gctx := errgroup.WithContext(ctx)
	for i, p := range ps {
		g.Go(func() error {
			defer close(finished[i])
			err := link(gctx, p, ps, reports, finished)
			if err == nil {
				var res *build.Result
				reports[i], res, p, err = each[i].buildAndCheck(gctx, b, p, nil)
				if res != nil {
					done[i] = &built{p, res, reports[i]}
				}
			}
			if err != nil {
				return each[i].unpublished(fmt.Errorf("%s: %w", ps[i].Name, err))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil || !opts.Push {
		return reports, err
	}
	var all []built
	for _, d := range done {
		if d != nil {
			all = append(all, *d)
		}
	}
	if len(all) == 0 { // none built: every one was skipped
		return reports, nil
	}
	_, err := publish(ctx, all, each[0], started, nil)
	return reports, err
}

// link passes p the images of the projects it reads as named contexts, by
// digest where staged (a skipped one's: its cache, inline the image), once
// they are finished.
func link(ctx context.Context, p *Project, ps []*Project, reports []*Report, finished []chan struct{}) error {
	for ctxName, other := range p.Links {
		i := slices.IndexFunc(ps, func(q *Project) bool { return q.Name == other })
		if i < 0 {
			return fmt.Errorf("context %s: no target %s", ctxName, other)
		}
		select {
		case <-finished[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		d := ""
		if r := reports[i]; r != nil && len(r.Targets) > 0 {
			d = cmp.Or(r.Targets[0].Digest, cacheDigest(ps[i], r))
		}
		if d == "" {
			return fmt.Errorf("context %s: the image of %s was not staged in a registry (a publish stages it)", ctxName, other)
		}
		p.Config.Solve.Contexts[ctxName] = "docker-image://" + ps[i].Config.Repository + "@" + d
	}
	return nil
}

// cacheDigest is where r left the cache tag of p's target stage.
func cacheDigest(p *Project, r *Report) string {
	for _, t := range p.Tags() {
		if t.Kind == push.KindCache && t.Stage == p.Plan.Targets[0].Name {
			if j := slices.IndexFunc(r.Tags, func(tr push.TagResult) bool { return tr.Tag == t.Ref }); j >= 0 {
				return r.Tags[j].Digest
			}
		}
	}
	return ""
}
