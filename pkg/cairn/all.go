package cairn

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/push"
)

// RunAll is Run for projects released together (a bake file's targets):
// each is built and checked on b in turn and, with opts.Push, only when all
// succeeded one commit moves all their tags, in every repository, caches
// first, final tags last: a failure anywhere moves nothing anywhere. The
// commit takes the first project's options (insecure hosts, signing).
// Reports are in ps's order, nil for one not reached; Name names each in
// errors. A tag two projects publish at two digests fails before the
// commit (push.Merge); pkg/bake refuses it before the build.
func RunAll(ctx context.Context, b Builder, ps []*Project, opts RunOptions) ([]*Report, error) {
	started := time.Now()
	reports := make([]*Report, len(ps))
	var done []built
	var first RunOptions
	for i, p := range ps {
		name := p.Name
		o, err := opts.withDefaults(p)
		if err == nil {
			err = link(p, ps[:i], reports)
		}
		if err == nil {
			var res *build.Result
			reports[i], res, p, err = o.buildAndCheck(ctx, b, p)
			if res != nil {
				done = append(done, built{p, res, reports[i]})
			}
		}
		if err != nil {
			return reports, o.unpublished(fmt.Errorf("%s: %w", name, err))
		}
		if i == 0 {
			first = o
		}
	}
	if !opts.Push || len(done) == 0 { // none built: every one was skipped
		return reports, nil
	}
	_, err := publish(ctx, done, first, started)
	return reports, err
}

// link passes p the images of the projects it reads as named contexts, by
// digest where staged (a skipped one's: its cache, inline the image).
func link(p *Project, before []*Project, reports []*Report) error {
	for ctxName, other := range p.Links {
		i := slices.IndexFunc(before, func(q *Project) bool { return q.Name == other })
		d := ""
		if i >= 0 && len(reports[i].Targets) > 0 {
			d = cmp.Or(reports[i].Targets[0].Digest, cacheDigest(before[i], reports[i]))
		}
		if d == "" {
			return fmt.Errorf("context %s: the image of %s was not staged in a registry (a publish stages it)", ctxName, other)
		}
		p.Config.Solve.Contexts[ctxName] = "docker-image://" + before[i].Config.Repository + "@" + d
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
