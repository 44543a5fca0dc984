package push

import (
	"fmt"
	"log/slog"
	"time"
)

// Option configures Commit and Recover.
type Option func(*options)

type options struct {
	force      bool
	sourceTime time.Time
	notef      func(format string, args ...any)
	lease      Lease
	signatures Signatures
	lock       *Lock
}

// Lease says how publishers take turns on a repository's commit record (see
// Commit). A zero field keeps its default.
type Lease struct {
	// Settle is how long a publisher waits after writing the record before
	// reading it back to learn whether it holds the repository (default
	// 300ms). Two publishers that both found the record free both write it;
	// the last write wins, and the other sees it after Settle. It assumes a
	// record write lands within Settle of the read before it: cairn writes
	// right after it reads, so the gap is one request's round trip, well
	// under 300ms even to a registry across a WAN, and every publish that
	// moves a tag waits this long once per repository.
	Settle time.Duration
	// Heartbeat is how often the holder renews its record (default 10s).
	Heartbeat time.Duration
	// StaleAfter is how old a record's heartbeat must be before another
	// publisher takes its holder for dead and rolls its tags back (default
	// 1m). A holder on the same machine whose process is gone is dead at once.
	StaleAfter time.Duration
	// Poll is how often a publisher waiting for the holder reads the record
	// again (default 500ms).
	Poll time.Duration
}

func makeOptions(opts ...Option) *options {
	o := &options{
		notef: func(string, ...any) {},
		lease: Lease{Settle: 300 * time.Millisecond, Heartbeat: 10 * time.Second, StaleAfter: time.Minute, Poll: 500 * time.Millisecond},
	}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// WithForce makes the commit overwrite final tags that another publisher
// moved since the commit started, instead of failing.
func WithForce(force bool) Option { return func(o *options) { o.force = force } }

// WithSourceTime is the build's source time (its git commit's time, or when
// it started), which orders the cache tags of concurrent publishers: a cache
// tag is left where it is when the cache there is from a newer source.
// Without it, cache tags always move.
func WithSourceTime(t time.Time) Option { return func(o *options) { o.sourceTime = t } }

// WithLogger receives notes: a wait for another publisher, an unfinished
// commit rolled back, a final tag overwritten with force. nil discards them.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.notef = func(format string, args ...any) { l.Info(fmt.Sprintf(format, args...)) }
		}
	}
}

// WithLease changes how publishers take turns (tests make it quick).
func WithLease(l Lease) Option {
	return func(o *options) {
		for _, f := range []struct{ dst, src *time.Duration }{
			{&o.lease.Settle, &l.Settle}, {&o.lease.Heartbeat, &l.Heartbeat},
			{&o.lease.StaleAfter, &l.StaleAfter}, {&o.lease.Poll, &l.Poll},
		} {
			if *f.src > 0 {
				*f.dst = *f.src
			}
		}
	}
}
