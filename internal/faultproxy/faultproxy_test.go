package faultproxy

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// backend is a server that answers 200 and counts what reached it.
func backend(t *testing.T) (*Proxy, *atomic.Int64) {
	var reached atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { reached.Add(1) }))
	t.Cleanup(srv.Close)
	p := Start(strings.TrimPrefix(srv.URL, "http://"))
	t.Cleanup(p.Close)
	return p, &reached
}

func do(t *testing.T, p *Proxy, method, path, user string) (int, error) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+p.Addr+path, strings.NewReader("body"))
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, "pw")
	}
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name   string
		arm    func(p *Proxy)
		method string
		user   string
		want   []int // each request's status; 0 for a connection error
	}{
		{"fail the third", func(p *Proxy) { p.FailAfter(http.MethodPut, `/m$`, 2, 503, 1) }, http.MethodPut, "", []int{200, 200, 503, 200}},
		{"any method", func(p *Proxy) { p.Fail("", `/m$`, 429, -1) }, http.MethodHead, "", []int{429, 429}},
		{"other method passes", func(p *Proxy) { p.Fail(http.MethodPut, `/m$`, 500, -1) }, http.MethodGet, "", []int{200}},
		{"reset twice", func(p *Proxy) { p.Reset(http.MethodPut, `/m$`, 0, 2) }, http.MethodPut, "", []int{0, 0, 200}},
		{"revoked login", func(p *Proxy) { p.Revoke("ci") }, http.MethodGet, "ci", []int{401, 401}},
		{"other login passes", func(p *Proxy) { p.Revoke("other") }, http.MethodGet, "ci", []int{200}},
		{"read-only login", func(p *Proxy) { p.ReadOnly("ci") }, http.MethodPut, "ci", []int{403}},
		{"body", func(p *Proxy) { p.FailBody(http.MethodPut, `/m$`, "od", 400, -1) }, http.MethodPut, "", []int{400, 400}},
		{"other body passes", func(p *Proxy) { p.FailBody(http.MethodPut, `/m$`, "artifactType", 400, -1) }, http.MethodPut, "", []int{200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, reached := backend(t)
			tt.arm(p)
			var forwarded int64
			for i, want := range tt.want {
				got, err := do(t, p, tt.method, "/m", tt.user)
				if (want == 0) != (err != nil) || (err == nil && got != want) {
					t.Errorf("request %d: %d, %v; want %d", i, got, err, want)
				}
				if want == 200 {
					forwarded++
				}
			}
			if reached.Load() != forwarded {
				t.Errorf("%d requests reached the registry, want %d", reached.Load(), forwarded)
			}
		})
	}
}

func TestDelayAndWatch(t *testing.T) {
	p, _ := backend(t)
	p.Delay(http.MethodGet, `/slow$`, 300*time.Millisecond, 0, 1)
	second := p.Watch(http.MethodGet, `/slow$`, 2)
	start := time.Now()
	if code, err := do(t, p, http.MethodGet, "/slow", ""); err != nil || code != 200 || time.Since(start) < 300*time.Millisecond {
		t.Errorf("delayed request: %d, %v after %s", code, err, time.Since(start))
	}
	select {
	case <-second:
		t.Fatal("the watch fired at the first request")
	default:
	}
	if _, err := do(t, p, http.MethodGet, "/slow", ""); err != nil {
		t.Fatal(err)
	}
	select {
	case <-second:
	case <-time.After(time.Second):
		t.Error("the watch did not fire at the second request")
	}
	if p.Injected() != 1 {
		t.Errorf("Injected %d, want 1", p.Injected())
	}
}

// TestDroppedHoldForwardsNothing: a held request whose hold is dropped
// never reaches the registry, even when its client is still there.
func TestDroppedHoldForwardsNothing(t *testing.T) {
	p, reached := backend(t)
	h := p.Hold(http.MethodPut, `/m$`)
	errc := make(chan error, 1)
	go func() {
		_, err := do(t, p, http.MethodPut, "/m", "")
		errc <- err
	}()
	select {
	case <-h.Reached():
	case <-time.After(5 * time.Second):
		t.Fatal("the request was not held")
	}
	h.Drop()
	if err := <-errc; err == nil || errors.Is(err, context.Canceled) {
		t.Errorf("the dropped request: %v, want its connection reset", err)
	}
	if reached.Load() != 0 {
		t.Errorf("a dropped request reached the registry")
	}
	if code, err := do(t, p, http.MethodPut, "/m", ""); err != nil || code != 200 || reached.Load() != 1 {
		t.Errorf("after the drop: %d, %v; want it forwarded", code, err)
	}
}
