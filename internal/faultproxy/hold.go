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
}

// Hold makes every request with method whose path matches pathPattern wait
// until the hold is released. A request whose client went away while it
// waited is dropped, not forwarded.
func (p *Proxy) Hold(method, pathPattern string) *Hold {
	h := &Hold{match: match{method, regexp.MustCompile(pathPattern)}, reached: make(chan struct{}), release: make(chan struct{})}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.holds = append(p.holds, h)
	return h
}

// Reached is closed when the first matching request arrives.
func (h *Hold) Reached() <-chan struct{} { return h.reached }

// Release lets the held requests, and later matching ones, through.
func (h *Hold) Release() { h.releaseOnce.Do(func() { close(h.release) }) }

func (h *Hold) wait(r *http.Request) {
	h.reachOnce.Do(func() { close(h.reached) })
	select {
	case <-h.release:
	case <-r.Context().Done():
	}
}

func (p *Proxy) hold(r *http.Request) *Hold {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, h := range p.holds {
		if h.matches(r) {
			return h
		}
	}
	return nil
}
