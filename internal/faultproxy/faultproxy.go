// Package faultproxy puts a reverse proxy on loopback in front of a registry:
// it answers chosen requests with an error status instead of forwarding
// them, holds chosen requests until the test releases them, and counts the
// bytes of blob uploads that pass through. Tests point refs at its address
// to see how cairn behaves when the registry misbehaves.
package faultproxy

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
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
	uploaded atomic.Int64
}

type fault struct {
	match
	status int
	pass   int // matching requests left to forward before failing
	times  int // left to fail; <0 fails every time
}

// match is a method and a pattern for the request's path, or for its path
// and query ("/manifests/sha256:…?tag=a") when it has one.
type match struct {
	method string
	path   *regexp.Regexp
}

func (m match) matches(r *http.Request) bool {
	if m.method != r.Method {
		return false
	}
	return m.path.MatchString(r.URL.Path) || (r.URL.RawQuery != "" && m.path.MatchString(r.URL.Path+"?"+r.URL.RawQuery))
}

// Start proxies to the registry at target (host:port, plain HTTP).
func Start(target string) *Proxy {
	p := &Proxy{target: target, rp: httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: target})}
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
		h.wait(r)
		if r.Context().Err() != nil {
			return // the client went away while held (killed): nothing is forwarded
		}
	}
	if p.denied(r) {
		deny(w)
		return
	}
	if status, ok := p.take(r); ok {
		http.Error(w, "injected fault", status)
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

// Fail answers the next times requests with method whose path matches
// pathPattern with status; times < 0 fails all of them.
func (p *Proxy) Fail(method, pathPattern string, status, times int) {
	p.FailAfter(method, pathPattern, 0, status, times)
}

// FailAfter is Fail once pass matching requests have been forwarded: a
// tag's first put goes through and the put that rolls it back fails.
func (p *Proxy) FailAfter(method, pathPattern string, pass, status, times int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, &fault{match: match{method, regexp.MustCompile(pathPattern)}, status: status, pass: pass, times: times})
}

// Heal removes every fault and releases every hold.
func (p *Proxy) Heal() {
	p.mu.Lock()
	holds := p.holds
	p.faults, p.holds = nil, nil
	p.mu.Unlock()
	for _, h := range holds {
		h.Release()
	}
}

// UploadedBytes is the total size of blob upload bodies forwarded so far.
func (p *Proxy) UploadedBytes() int64 { return p.uploaded.Load() }

// Close releases every hold and stops the proxy; requests to Addr then
// fail to connect.
func (p *Proxy) Close() {
	p.Heal()
	p.srv.Close()
}

func (p *Proxy) take(r *http.Request) (int, bool) {
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
			return f.status, true
		}
	}
	return 0, false
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
