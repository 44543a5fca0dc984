package chaos

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"syscall"
	"time"
)

// Kind is a kind of fault, as the summary counts them.
type Kind string

// The kinds: registry answers (5xx, 429, a reset connection, a slow
// answer) on a class of requests; the registry's disk full mid-upload;
// buildkitd or cairn SIGKILLed; concurrent publishers; the login revoked.
const (
	KindStatus5xx  Kind = "registry-5xx"
	KindStatus429  Kind = "registry-429"
	KindReset      Kind = "connection-reset"
	KindSlow       Kind = "slow-responses"
	KindDiskFull   Kind = "disk-full"
	KindKillDaemon Kind = "buildkitd-killed"
	KindKillCairn  Kind = "cairn-killed"
	KindConcurrent Kind = "concurrent-publishers"
	KindRevoked    Kind = "credentials-revoked"
)

// Kinds are every kind of fault, in the summary's order.
var Kinds = []Kind{KindStatus5xx, KindStatus429, KindReset, KindSlow, KindDiskFull, KindKillDaemon, KindKillCairn, KindConcurrent, KindRevoked}

// Fault is one fault of a run.
type Fault struct {
	Kind   Kind
	Detail string // what exactly, and when

	publishers int // KindConcurrent: how many publish at once
	// arm sets the fault up before the publishers start; the func it
	// returns, if any, runs beside them and acts at the fault's moment.
	arm func(r *round) func()
}

func (f Fault) String() string { return fmt.Sprintf("%s (%s)", f.Kind, f.Detail) }

// class is a class of registry requests a fault applies to.
type class struct {
	name, method, path string
}

var classes = []class{
	{"manifest PUT", http.MethodPut, `/manifests/`},
	{"blob upload", "", `/blobs/uploads/`},
	{"HEAD", http.MethodHead, `^/v2/.+`},
	{"tag list", http.MethodGet, `/tags/list`},
}

// tagPut is a put of a tag (not of a manifest by digest): the commit's
// moves, its record's writes and a roll back's puts.
const tagPut = `/manifests/(cairn-commit|cache-[a-z]+|latest|v1|edge)$`

// draw draws a run's faults: one or two, sometimes three, of different
// kinds. expect is how long a publish takes, to time faults within it.
func draw(rng *rand.Rand, expect time.Duration) []Fault {
	n := 1 + rng.IntN(2)
	if rng.IntN(6) == 0 {
		n++
	}
	var faults []Fault
	seen := map[Kind]bool{}
	for len(faults) < n {
		k := Kinds[rng.IntN(len(Kinds))]
		if seen[k] {
			continue
		}
		seen[k] = true
		faults = append(faults, newFault(k, rng, expect))
	}
	return faults
}

func newFault(k Kind, rng *rand.Rand, expect time.Duration) Fault {
	switch k {
	case KindStatus5xx:
		return statusFault(k, rng, []int{500, 502, 503}[rng.IntN(3)])
	case KindStatus429:
		return statusFault(k, rng, http.StatusTooManyRequests)
	case KindReset:
		c, pass, times := pick(rng)
		return Fault{Kind: k, Detail: fmt.Sprintf("%s, after %d, %s", c.name, pass, count(times)), arm: func(r *round) func() {
			r.e.proxy.Reset(c.method, c.path, pass, times)
			return nil
		}}
	case KindSlow:
		c, pass, _ := pick(rng)
		delay, times := time.Duration(200+rng.IntN(2800))*time.Millisecond, 1+rng.IntN(6)
		return Fault{Kind: k, Detail: fmt.Sprintf("%s +%s, after %d, %s", c.name, delay, pass, count(times)), arm: func(r *round) func() {
			r.e.proxy.Delay(c.method, c.path, delay, pass, times)
			return nil
		}}
	case KindConcurrent:
		n := 2 + rng.IntN(3)
		return Fault{Kind: k, Detail: fmt.Sprintf("%d publishers", n), publishers: n, arm: func(*round) func() { return nil }}
	case KindDiskFull:
		return diskFull(rng)
	case KindKillDaemon:
		return killDaemon(rng, expect)
	case KindKillCairn:
		return killCairn(rng, expect)
	default:
		return revoke(rng, expect)
	}
}

func statusFault(k Kind, rng *rand.Rand, status int) Fault {
	c, pass, times := pick(rng)
	return Fault{Kind: k, Detail: fmt.Sprintf("%d on %s, after %d, %s", status, c.name, pass, count(times)), arm: func(r *round) func() {
		r.e.proxy.FailAfter(c.method, c.path, pass, status, times)
		return nil
	}}
}

// pick draws a request class, how many of its requests pass before the
// fault, and how many it hits (-1: all that follow).
func pick(rng *rand.Rand) (class, int, int) {
	times := 1 + rng.IntN(3)
	if rng.IntN(5) == 0 {
		times = -1
	}
	return classes[rng.IntN(len(classes))], rng.IntN(8), times
}

func count(times int) string {
	if times < 0 {
		return "every one"
	}
	return fmt.Sprintf("%d times", times)
}

// diskFull shrinks the registry's disk to what it holds, plus a little,
// when the nth blob upload starts.
func diskFull(rng *rand.Rand) Fault {
	nth, slack := 1+rng.IntN(3), int64(4096*(1+rng.IntN(32)))
	return Fault{Kind: KindDiskFull, Detail: fmt.Sprintf("at blob upload %d, %d bytes left", nth, slack), arm: func(r *round) func() {
		at := r.e.proxy.Watch("", `/blobs/uploads/`, nth)
		return func() {
			if r.until(at) {
				r.fillDisk(slack)
			}
		}
	}}
}

// killDaemon SIGKILLs buildkitd while it solves.
func killDaemon(rng *rand.Rand, expect time.Duration) Fault {
	m := drawMoment(rng, expect, "mid-build", "mid-stage-upload")
	return Fault{Kind: KindKillDaemon, Detail: m.name, arm: func(r *round) func() {
		at := m.arm(r)
		return func() {
			if r.until(at) {
				r.markDaemonKilled()
				_ = syscall.Kill(r.e.daemon.PID, syscall.SIGKILL)
			}
		}
	}}
}

// killCairn SIGKILLs one of the publishers.
func killCairn(rng *rand.Rand, expect time.Duration) Fault {
	m := drawMoment(rng, expect, "at random", "mid-build", "mid-stage-upload", "mid-commit", "mid-rollback")
	which := rng.Uint32()
	return Fault{Kind: KindKillCairn, Detail: m.name, arm: func(r *round) func() {
		at := m.arm(r)
		return func() {
			if r.until(at) {
				r.pubs[int(which)%len(r.pubs)].kill()
			}
		}
	}}
}

// revoke makes the registry refuse the login from a moment on.
func revoke(rng *rand.Rand, expect time.Duration) Fault {
	m := drawMoment(rng, expect, "at random", "mid-stage-upload", "mid-commit")
	return Fault{Kind: KindRevoked, Detail: m.name, arm: func(r *round) func() {
		at := m.arm(r)
		return func() {
			if r.until(at) {
				r.e.proxy.Revoke(user)
			}
		}
	}}
}
