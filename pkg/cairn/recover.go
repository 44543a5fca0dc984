package cairn

import (
	"context"

	"github.com/cairn-build/cairn/pkg/push"
)

// Recover rolls back every commit to the project's repositories that its
// publisher left unfinished (killed during the commit, say): each tag the
// commit's record lists goes back to its previous digest, and a tag it
// created is deleted. A commit whose publisher is still at work is left
// alone; push.Recover has the rule. A publishing Run does the same first.
func Recover(ctx context.Context, p *Project, opts RunOptions) ([]push.Recovery, error) {
	if err := p.Publishable(); err != nil {
		return nil, err
	}
	opts, err := opts.withDefaults(p)
	if err != nil {
		return nil, err
	}
	return push.Recover(ctx, opts.Registry, p.refs(), push.WithLogger(opts.Logger))
}
