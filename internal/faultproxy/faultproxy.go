// Package faultproxy puts a reverse proxy on loopback in front of a registry:
// it answers chosen requests with an error status, a reset connection or
// after a delay, holds chosen requests until the test releases them,
// reports when a request arrives, refuses a login, and counts the bytes of
// blob uploads that pass through. Tests point refs at its address
// to see how cairn behaves when the registry misbehaves.
package faultproxy

import (
	"bytes"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy is a running fault-injecting proxy.
type Proxy struct {
	// Addr is host:port to use in place of the registry's.
	Addr string

	target   string
	rp       *httputil.ReverseProxy
	srv      *httptest.Server
	mu       sync.Mutex
	faults   []*fault
	holds    []*Hold
	multiTag bool
	readOnly []string // users whose writes are denied
	revoked  []string // users whose every request is refused
	watches  []*watch
	uploaded atomic.Int64
	injected atomic.Int64
}

type fault struct {
	match
	action
	pass  int // matching requests left to forward before failing
	times int // left to fail; <0 fails every time
}

// action is what a fault does to a request: answer status, reset the
// connection, or forward it after delay.
type action struct {
	status int
	reset  bool
	delay  time.Duration
}

// match is a method ("" for any) and a pattern for the request's path, or
// for its path and query ("/manifests/sha256:…?tag=a") when it has one.
// A body, when set, must be in the request's body too (see FailBody).
type match struct {
	method string
	path   *regexp.Regexp
	body   string
}

func (m match) matches(r *http.Request) bool {
	if m.method != "" && m.method != r.Method {
		return false
	}
	if !m.path.MatchString(r.URL.Path) && (r.URL.RawQuery == "" || !m.path.MatchString(r.URL.Path+"?"+r.URL.RawQuery)) {
		return false
	}
	return m.body == "" || bodyContains(r, m.body)
}

// Start proxies to the registry at target (host:port, plain HTTP).
func Start(target string) *Proxy {
	p := &Proxy{target: target, rp: httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: target})}
	// Clients that go away mid-request (killed, by design) are not news.
	p.rp.ErrorLog = log.New(io.Discard, "", 0)
	// The registry writes upload Locations from the Host header: keeping the
	// proxy's there keeps every request of an upload on the proxy.
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.Addr = strings.TrimPrefix(p.srv.URL, "http://")
	return p
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	if h := p.hold(r); h != nil {
		// Read the body first: only then does the server watch the
		// connection, and cancel the request's context when it closes.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if !h.wait(r) {
			reset(w)
			return
		}
	}
	p.see(r)
	if p.isRevoked(r) {
		unauthorized(w)
		return
	}
	if p.denied(r) {
		deny(w)
		return
	}
	if a, ok := p.take(r); ok && !a.do(w, r) {
		return
	}
	if strings.Contains(r.URL.Path, "/blobs/uploads/") && r.Body != nil {
		r.Body = &countingBody{ReadCloser: r.Body, n: &p.uploaded}
	}
	if p.isMultiTag(r) {
		p.multiTagPut(w, r)
		return
	}
	p.rp.ServeHTTP(w, r)
}

// Fail answers the next times requests with method ("" for any) whose
// path matches pathPattern with status; times < 0 fails all of them.
func (p *Proxy) Fail(method, pathPattern string, status, times int) {
	p.FailAfter(method, pathPattern, 0, status, times)
}

// FailAfter is Fail once pass matching requests have been forwarded: a
// tag's first put goes through and the put that rolls it back fails.
func (p *Proxy) FailAfter(method, pathPattern string, pass, status, times int) {
	p.add(method, pathPattern, action{status: status}, pass, times)
}

// Reset is FailAfter with the connection reset (a TCP RST) instead of an
// answer, as when a load balancer or the registry's host drops it.
func (p *Proxy) Reset(method, pathPattern string, pass, times int) {
	p.add(method, pathPattern, action{reset: true}, pass, times)
}

// Delay forwards the next times matching requests, after pass, only once
// delay has passed: a slow registry.
func (p *Proxy) Delay(method, pathPattern string, delay time.Duration, pass, times int) {
	p.add(method, pathPattern, action{delay: delay}, pass, times)
}

func (p *Proxy) add(method, pathPattern string, a action, pass, times int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, &fault{match: match{method: method, path: regexp.MustCompile(pathPattern)}, action: a, pass: pass, times: times})
}

// Heal removes every fault, watch and revoked login, and releases every
// hold. Read-only logins stay: they are the registry's configuration.
func (p *Proxy) Heal() {
	p.mu.Lock()
	holds := p.holds
	p.faults, p.holds, p.watches, p.revoked = nil, nil, nil, nil
	p.mu.Unlock()
	for _, h := range holds {
		h.Release()
	}
}

// Injected is how many requests a fault has acted on so far (failed,
// reset or delayed): whether the faults a test set were met.
func (p *Proxy) Injected() int64 { return p.injected.Load() }

// UploadedBytes is the total size of blob upload bodies forwarded so far.
func (p *Proxy) UploadedBytes() int64 { return p.uploaded.Load() }

// Close releases every hold and stops the proxy; requests to Addr then
// fail to connect.
func (p *Proxy) Close() {
	p.Heal()
	p.srv.Close()
}

func (p *Proxy) take(r *http.Request) (action, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.faults {
		if f.times != 0 && f.matches(r) {
			if f.pass > 0 {
				f.pass--
				continue
			}
			if f.times > 0 {
				f.times--
			}
			p.injected.Add(1)
			return f.action, true
		}
	}
	return action{}, false
}

// do applies the action to r and reports whether r is still to be forwarded.
func (a action) do(w http.ResponseWriter, r *http.Request) bool {
	switch {
	case a.reset:
		reset(w)
		return false
	case a.delay > 0:
		select {
		case <-time.After(a.delay):
		case <-r.Context().Done():
			return false // the client gave up waiting
		}
		return true
	default:
		http.Error(w, "injected fault", a.status)
		return false
	}
}

// reset closes the request's connection with a TCP RST, unanswered.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("faultproxy: the server's ResponseWriter cannot hijack") // httptest's HTTP/1.1 server can
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0) // close sends RST, not FIN
	}
	_ = conn.Close()
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}
