package faultproxy

import (
	"net/http"
	"regexp"
)

// watch is a channel closed when the nth matching request arrives.
type watch struct {
	match
	left int
	seen chan struct{}
}

// Watch returns a channel that is closed when the nth request (from 1)
// with method ("" for any) whose path matches pathPattern arrives. The
// request is handled as usual: a test acts at that moment (kills a client
// while its request is under way) without stopping it.
func (p *Proxy) Watch(method, pathPattern string, nth int) <-chan struct{} {
	w := &watch{match: match{method: method, path: regexp.MustCompile(pathPattern)}, left: max(nth, 1), seen: make(chan struct{})}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.watches = append(p.watches, w)
	return w.seen
}

func (p *Proxy) see(r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	kept := p.watches[:0]
	for _, w := range p.watches {
		if w.matches(r) {
			w.left--
		}
		if w.left == 0 {
			close(w.seen)
			continue
		}
		kept = append(kept, w)
	}
	p.watches = kept
}

// Revoke makes the proxy answer every request made with user's login
// (basic auth) with 401 UNAUTHORIZED, as a registry does once a token or
// password is revoked. Heal restores it.
func (p *Proxy) Revoke(user string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.revoked = append(p.revoked, user)
}

func (p *Proxy) isRevoked(r *http.Request) bool { return p.loginIn(r, &p.revoked) }

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("WWW-Authenticate", `Basic realm="faultproxy"`)
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write([]byte(`{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}` + "\n"))
}
