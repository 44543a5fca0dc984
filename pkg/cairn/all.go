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

// RunAll is Run for projects released together, such as a bake file's
// targets: each is built and checked on b in turn and, with opts.Push,
// only when every one succeeded one commit moves the tags of all of them,
// in every repository, caches first and final tags last; a failure
// anywhere moves nothing anywhere. Each project's own options (insecure
// hosts, signing) are the first's for the commit. Reports are in ps's
// order, nil for a project not reached; a project's Name names it in the
// errors. Two projects that would publish one tag at two digests fail
// before the commit (push.Merge); pkg/bake refuses them before the build.
func RunAll(ctx context.Context, b Builder, ps []*Project, opts RunOptions) ([]*Report, error) {
	started := time.Now()
	reports := make([]*Report, len(ps))
	if len(ps) == 0 {
		return reports, opts.unpublished(ErrNothingToPublish)
	}
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
// digest in the repository they were staged in; a skipped one's is its
// target's cache (inline: the image), as the last publish left it.
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
