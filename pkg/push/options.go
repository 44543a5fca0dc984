package push

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Option configures Commit.
type Option func(*options) error

type options struct {
	insecure  func(ref string) bool
	keychain  authn.Keychain
	transport http.RoundTripper
	backoff   remote.Backoff
	jobs      int
}

func makeOptions(opts ...Option) (*options, error) {
	o := &options{
		insecure:  func(string) bool { return false },
		keychain:  authn.DefaultKeychain,
		transport: remote.DefaultTransport,
		// 5 tries over about 3 seconds: enough for a rate limit or a
		// restarting registry, short enough that a dead one fails fast.
		backoff: remote.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 5},
		jobs:    8,
	}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// WithInsecure says which refs' registries speak plain HTTP.
func WithInsecure(insecure func(ref string) bool) Option {
	return func(o *options) error { o.insecure = insecure; return nil }
}

// WithKeychain sets where credentials come from (default: the docker config
// and its credential helpers).
func WithKeychain(k authn.Keychain) Option {
	return func(o *options) error { o.keychain = k; return nil }
}

// WithTransport sets the HTTP transport (tests put a fault-injecting proxy here).
func WithTransport(t http.RoundTripper) Option {
	return func(o *options) error { o.transport = t; return nil }
}

// WithBackoff sets the retries of a request answered 429, 5xx or not at all.
func WithBackoff(b remote.Backoff) Option {
	return func(o *options) error { o.backoff = b; return nil }
}

// WithJobs bounds the concurrent requests.
func WithJobs(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("jobs must be at least 1, got %d", n)
		}
		o.jobs = n
		return nil
	}
}

func (o *options) nameOptions(ref string) []name.Option {
	if o.insecure(ref) {
		return []name.Option{name.Insecure}
	}
	return nil
}

func (o *options) remote(ctx context.Context) []remote.Option {
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(o.keychain),
		remote.WithTransport(o.transport),
		remote.WithRetryBackoff(o.backoff),
		remote.WithRetryStatusCodes(http.StatusTooManyRequests, http.StatusInternalServerError,
			http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout),
	}
}

func isNotFound(err error) bool {
	var terr *transport.Error
	return errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound
}

func isUnsupported(err error) bool {
	var terr *transport.Error
	return errors.As(err, &terr) && (terr.StatusCode == http.StatusMethodNotAllowed || terr.StatusCode == http.StatusNotImplemented)
}
