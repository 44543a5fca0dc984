package registry

import (
	"fmt"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Option configures New.
type Option func(*options) error

type options struct {
	insecure   map[string]bool     // registry hosts, as name.Registry spells them
	mirrors    map[string][]string // registry host → pull mirror hosts, in order
	keychain   authn.Keychain
	transport  http.RoundTripper
	backoff    remote.Backoff
	retryCodes []int
	jobs       int
}

// makeOptions applies opts over the defaults, which are set here only.
func makeOptions(opts ...Option) (*options, error) {
	o := &options{
		insecure:  map[string]bool{},
		mirrors:   map[string][]string{},
		keychain:  authn.DefaultKeychain,
		transport: remote.DefaultTransport,
		// 5 tries over about 3 seconds: enough for a rate limit or a
		// restarting registry, short enough that a dead one fails fast.
		backoff: remote.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 5},
		retryCodes: []int{http.StatusTooManyRequests, http.StatusInternalServerError,
			http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout},
		jobs: 8,
	}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// WithInsecure adds registries (host[:port]) reached over plain HTTP.
// Loopback registries always are, without being listed.
func WithInsecure(hosts ...string) Option {
	return func(o *options) error {
		for _, h := range hosts {
			reg, err := name.NewRegistry(h, name.StrictValidation)
			if err != nil {
				return fmt.Errorf("insecure registry %q: want host[:port]: %w", h, err)
			}
			o.insecure[reg.RegistryStr()] = true
		}
		return nil
	}
}

// WithKeychain sets where credentials come from, for cairn's own requests
// and for BuildKit's through SessionAuth (default: the docker config and its
// credential helpers).
func WithKeychain(k authn.Keychain) Option {
	return func(o *options) error { o.keychain = k; return nil }
}

// WithTransport sets the HTTP transport of cairn's own requests (tests put a
// fault-injecting proxy here). BuildKit's requests do not use it.
func WithTransport(t http.RoundTripper) Option {
	return func(o *options) error { o.transport = t; return nil }
}

// WithRetryBackoff sets how often and how long a request is retried when it
// is answered with a retried status or not at all.
func WithRetryBackoff(b remote.Backoff) Option {
	return func(o *options) error {
		if b.Steps < 1 {
			return fmt.Errorf("retry backoff: steps must be at least 1, got %d", b.Steps)
		}
		o.backoff = b
		return nil
	}
}

// WithRetryStatusCodes sets the statuses that are retried (default: 429 and
// 500, 502, 503, 504).
func WithRetryStatusCodes(codes ...int) Option {
	return func(o *options) error { o.retryCodes = codes; return nil }
}

// WithJobs bounds the concurrent requests of one operation (default 8).
func WithJobs(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("jobs must be at least 1, got %d", n)
		}
		o.jobs = n
		return nil
	}
}
