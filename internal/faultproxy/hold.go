package faultproxy

import (
	"net/http"
	"regexp"
	"sync"
)

// Hold keeps matching requests waiting until it is released: a test stops
// a client between two requests (and kills it there, or starts another
// client) and then lets it go on.
type Hold struct {
	match
	reached     chan struct{}
	release     chan struct{}
	reachOnce   sync.Once
	releaseOnce sync.Once
	dropped     bool // set before release closes: held requests are dropped
}

// Hold makes every request with method whose path matches pathPattern wait
// until the hold is released. A request whose client went away while it
// waited is dropped, not forwarded.
func (p *Proxy) Hold(method, pathPattern string) *Hold {
	h := &Hold{match: match{method: method, path: regexp.MustCompile(pathPattern)}, reached: make(chan struct{}), release: make(chan struct{})}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.holds = append(p.holds, h)
	return h
}

// Reached is closed when the first matching request arrives.
func (h *Hold) Reached() <-chan struct{} { return h.reached }

// Release lets the held requests, and later matching ones, through.
func (h *Hold) Release() { h.releaseOnce.Do(func() { close(h.release) }) }

// Drop ends the hold without forwarding the requests it holds: their
// connections are reset. Later matching requests pass. A test that killed
// the client drops its held request rather than release it: the proxy
// may not have seen the client's connection close yet, and would forward
// the request of a dead client.
func (h *Hold) Drop() {
	h.releaseOnce.Do(func() {
		h.dropped = true
		close(h.release)
	})
}

// wait waits until the hold ends and reports whether r is to be forwarded.
func (h *Hold) wait(r *http.Request) bool {
	h.reachOnce.Do(func() { close(h.reached) })
	select {
	case <-h.release:
		return !h.dropped // written before release closed
	case <-r.Context().Done():
		return false // the client went away while held (killed): nothing is forwarded
	}
}

func (p *Proxy) hold(r *http.Request) *Hold {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, h := range p.holds {
		if h.matches(r) && !h.isDropped() {
			return h
		}
	}
	return nil
}

func (h *Hold) isDropped() bool {
	select {
	case <-h.release:
		return h.dropped
	default:
		return false
	}
}
