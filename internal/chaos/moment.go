package chaos

import (
	"math/rand/v2"
	"net/http"
	"time"
)

// moment is when, in a publish, a fault strikes.
type moment struct {
	name string
	// arm returns a channel closed at the moment; it is armed before the
	// publishers start.
	arm func(r *round) <-chan struct{}
}

// drawMoment draws one of the named moments and its timing.
func drawMoment(rng *rand.Rand, expect time.Duration, names ...string) moment {
	name := names[rng.IntN(len(names))]
	jitter := time.Duration(rng.IntN(30)) * time.Millisecond
	switch name {
	case "at random", "mid-build":
		span := expect * 6 / 5
		if name == "mid-build" {
			span = expect * 2 / 5
		}
		after := time.Duration(rng.Int64N(int64(span) + 1))
		return moment{name + " after " + after.Round(time.Millisecond).String(), func(r *round) <-chan struct{} { return r.after(after) }}
	case "mid-stage-upload":
		nth := 1 + rng.IntN(4)
		return moment{name, func(r *round) <-chan struct{} {
			return r.delayed(r.e.proxy.Watch("", `/blobs/uploads/`, nth), jitter)
		}}
	case "mid-commit":
		nth := 1 + rng.IntN(12)
		return moment{name, func(r *round) <-chan struct{} {
			return r.delayed(r.e.proxy.Watch(http.MethodPut, tagPut, nth), jitter)
		}}
	default:
		return moment{"mid-rollback", func(r *round) <-chan struct{} { return rollingBack(r, jitter) }}
	}
}

// failedFinal is the final tag whose put a mid-rollback fault fails, for
// the commit to roll back.
const failedFinal = `/chaos/worker/manifests/edge$`

// rollingBack fails the put of one final tag, for the commit to roll back,
// and closes the channel when the roll back puts a cache tag back: the
// caches moved before any final tag, so a cache put after a final tag's
// is the roll back's.
func rollingBack(r *round, jitter time.Duration) <-chan struct{} {
	failing := r.e.proxy.Watch(http.MethodPut, failedFinal, 1)
	r.e.proxy.Fail(http.MethodPut, failedFinal, http.StatusInternalServerError, -1)
	out := make(chan struct{})
	r.goFire(func() {
		if !r.until(failing) {
			return
		}
		back := r.e.proxy.Watch(http.MethodPut, `/chaos/base/manifests/cache-`, 1)
		if r.until(back) && r.sleep(jitter) {
			close(out)
		}
	})
	return out
}
