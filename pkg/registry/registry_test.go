package registry_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cairn-build/cairn/pkg/registry"
)

func TestIsInsecure(t *testing.T) {
	a, err := registry.New(registry.WithInsecure("registry.internal:5000"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref  string
		want bool
	}{
		{"127.0.0.1:5000/app:cache-deps", true},
		{"127.0.0.1:5000/app@sha256:" + strings.Repeat("0", 64), true},
		{"127.0.0.1:5000/app", true},
		{"localhost:5000/app:x", true},
		{"localhost/app:x", true},
		{"[::1]:5000/app:x", true},
		{"registry.internal:5000/team/app:x", true},
		{"registry.internal/team/app:x", false},
		{"ghcr.io/team/app:x", false},
		{"team/app:x", false}, // docker.io
		{"app:x", false},
		{"localhost:5000/App:x", false}, // does not parse
	}
	for _, tt := range tests {
		if got := a.IsInsecure(tt.ref); got != tt.want {
			t.Errorf("IsInsecure(%q) = %v, want %v", tt.ref, got, tt.want)
		}
	}
}

func TestParsing(t *testing.T) {
	a, err := registry.New(registry.WithInsecure("registry.internal:5000"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in, name, scheme string
	}{
		{"registry.internal:5000/app:v1", "registry.internal:5000/app:v1", "http"},
		{"127.0.0.1:5000/app", "127.0.0.1:5000/app:latest", "http"},
		{"ghcr.io/team/app:v1", "ghcr.io/team/app:v1", "https"},
		{"busybox:1.36", "index.docker.io/library/busybox:1.36", "https"},
	}
	for _, tt := range tests {
		tag, err := a.Tag(tt.in)
		if err != nil {
			t.Errorf("Tag(%q): %v", tt.in, err)
			continue
		}
		if tag.Name() != tt.name || tag.Scheme() != tt.scheme {
			t.Errorf("Tag(%q) = %s over %s, want %s over %s", tt.in, tag.Name(), tag.Scheme(), tt.name, tt.scheme)
		}
	}
	repo, err := a.Repository("registry.internal:5000/team/app")
	if err != nil || repo.Scheme() != "http" || repo.RepositoryStr() != "team/app" {
		t.Errorf("Repository: %v over %s, %v; want team/app over http", repo, repo.Scheme(), err)
	}
	if _, err := a.Repository("registry.internal:5000/team/app:v1"); err == nil {
		t.Error("Repository accepted a tag")
	}
	ref, err := a.Reference("registry.internal:5000/app@sha256:" + strings.Repeat("0", 64))
	if err != nil || ref.Context().Scheme() != "http" {
		t.Errorf("Reference by digest: %v, %v; want it over http", ref, err)
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name string
		opt  registry.Option
		err  string
	}{
		{"scheme in insecure host", registry.WithInsecure("http://reg:5000"), "want host[:port]"},
		{"path in insecure host", registry.WithInsecure("reg:5000/team"), "want host[:port]"},
		{"no jobs", registry.WithJobs(0), "jobs must be at least 1"},
		{"no tries", registry.WithRetryBackoff(remote.Backoff{}), "steps must be at least 1"},
	}
	for _, tt := range tests {
		if _, err := registry.New(tt.opt); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.err)
		}
	}
	a, err := registry.New()
	if err != nil {
		t.Fatal(err)
	}
	if a.Jobs() != 8 || a.Keychain() != authn.DefaultKeychain {
		t.Errorf("defaults: jobs %d, keychain %T; want 8 and the docker keychain", a.Jobs(), a.Keychain())
	}
	if a, _ := registry.New(registry.WithJobs(3)); a.Jobs() != 3 {
		t.Errorf("WithJobs(3): jobs %d", a.Jobs())
	}
}

// TestRemoteRetries: the Access's transport, backoff and retried statuses
// are what a remote call uses.
func TestRemoteRetries(t *testing.T) {
	tests := []struct {
		name   string
		status int
		codes  []int
		want   int // requests seen
	}{
		{"5xx retried by default", http.StatusServiceUnavailable, nil, 3},
		{"429 retried by default", http.StatusTooManyRequests, nil, 3},
		{"404 not retried", http.StatusNotFound, nil, 1},
		{"only the given statuses", http.StatusServiceUnavailable, []int{http.StatusTooManyRequests}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := &countingTransport{status: tt.status}
			opts := []registry.Option{
				registry.WithTransport(rt),
				registry.WithRetryBackoff(remote.Backoff{Duration: time.Millisecond, Factor: 1, Steps: 3}),
			}
			if tt.codes != nil {
				opts = append(opts, registry.WithRetryStatusCodes(tt.codes...))
			}
			a, err := registry.New(opts...)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := a.Reference("127.0.0.1:1/app:x")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := remote.Head(ref, a.Remote(t.Context())...); err == nil {
				t.Fatal("no error from a registry answering only errors")
			}
			if rt.n != tt.want {
				t.Errorf("%d requests, want %d", rt.n, tt.want)
			}
		})
	}
}

// countingTransport answers the registry ping with 200 and every other
// request with status, and counts those.
type countingTransport struct {
	status int
	n      int
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "http" {
		return nil, errors.New("not plain HTTP")
	}
	status := http.StatusOK
	if req.URL.Path != "/v2/" {
		c.n++
		status = c.status
	}
	return &http.Response{StatusCode: status, Header: http.Header{}, Body: http.NoBody, Request: req}, nil
}
