package cairn

import (
	"time"

	"github.com/cairn-build/cairn/pkg/push"
)

// commitOptions are the commit's options for a run that started at started.
func (o RunOptions) commitOptions(p *Project, started time.Time) []push.Option {
	return []push.Option{
		push.WithForce(o.Force),
		push.WithSourceTime(p.Source.orderTime(started)),
		push.WithLogger(o.Logger),
		push.WithSignatures(push.Signatures{Signer: o.Signer, Manifests: p.Config.Sign.Manifests, LegacyTag: p.Config.Sign.LegacyTag}),
	}
}

// orderTime is the time that orders the caches of concurrent publishers
// (see push.WithSourceTime): the commit time of the context's git checkout,
// else the source date epoch when one was given, else when the run started.
func (s Source) orderTime(started time.Time) time.Time {
	switch {
	case s.Commit != "":
		return s.CommitTime
	case s.Epoch != nil && !s.epochDefaulted:
		return *s.Epoch
	}
	return started
}
