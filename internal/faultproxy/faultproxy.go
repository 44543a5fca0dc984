// Package faultproxy puts a reverse proxy on loopback in front of a registry:
// it answers chosen requests with an error status instead of forwarding
// them, and counts the bytes of blob uploads that pass through. Tests point
// refs at its address to see how cairn behaves when the registry misbehaves.
package faultproxy

import (
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

	srv      *httptest.Server
	mu       sync.Mutex
	faults   []*fault
	uploaded atomic.Int64
}

type fault struct {
	method string
	path   *regexp.Regexp
	status int
	pass   int // matching requests left to forward before failing
	times  int // left to fail; <0 fails every time
}

// Start proxies to the registry at target (host:port, plain HTTP).
func Start(target string) *Proxy {
	p := &Proxy{}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: target})
	// The registry writes upload Locations from the Host header: keeping the
	// proxy's there keeps every request of an upload on the proxy.
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status, ok := p.take(r); ok {
			http.Error(w, "injected fault", status)
			return
		}
		if strings.Contains(r.URL.Path, "/blobs/uploads/") && r.Body != nil {
			r.Body = &countingBody{ReadCloser: r.Body, n: &p.uploaded}
		}
		rp.ServeHTTP(w, r)
	}))
	p.Addr = strings.TrimPrefix(p.srv.URL, "http://")
	return p
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
	p.faults = append(p.faults, &fault{method: method, path: regexp.MustCompile(pathPattern), status: status, pass: pass, times: times})
}

// Heal removes every fault.
func (p *Proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = nil
}

// UploadedBytes is the total size of blob upload bodies forwarded so far.
func (p *Proxy) UploadedBytes() int64 { return p.uploaded.Load() }

// Close stops the proxy; requests to Addr then fail to connect.
func (p *Proxy) Close() { p.srv.Close() }

func (p *Proxy) take(r *http.Request) (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.faults {
		if f.times != 0 && f.method == r.Method && f.path.MatchString(r.URL.Path) {
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
