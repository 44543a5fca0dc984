// Package registry is cairn's one value for reaching container registries:
// which hosts speak plain HTTP, where credentials come from, the transport,
// the retries and the concurrency limit. cairn's own requests (cache probes,
// staging, the commit) and BuildKit's (through SessionAuth and the exporter
// and cache attributes) are configured from the same Access.
package registry

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Access says how to reach registries. It is immutable and safe for
// concurrent use.
type Access struct {
	o *options
}

// New returns an Access with the defaults, changed by opts.
func New(opts ...Option) (*Access, error) {
	o, err := makeOptions(opts...)
	if err != nil {
		return nil, err
	}
	return &Access{o: o}, nil
}

// IsInsecure reports whether ref's registry is reached over plain HTTP: it is
// listed with WithInsecure, or on loopback (a local registry with TLS is
// rare, and one on loopback leaks nothing). A ref that does not parse is not.
func (a *Access) IsInsecure(ref string) bool {
	r, err := name.ParseReference(ref)
	if err != nil {
		return false
	}
	return a.insecureHost(r.Context().RegistryStr())
}

func (a *Access) insecureHost(host string) bool {
	if a.o.insecure[host] {
		return true
	}
	hostname := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		hostname = h
	}
	hostname = strings.TrimSuffix(strings.TrimPrefix(hostname, "["), "]")
	if hostname == "localhost" {
		return true
	}
	ip := net.ParseIP(hostname)
	return ip != nil && ip.IsLoopback()
}

// Reference parses a tag or digest reference (a bare repository means its
// latest tag), insecure where IsInsecure says so.
func (a *Access) Reference(s string) (name.Reference, error) {
	return name.ParseReference(s, a.nameOptions(s)...)
}

// Tag parses a tag reference (a bare repository means its latest tag).
func (a *Access) Tag(s string) (name.Tag, error) {
	return name.NewTag(s, a.nameOptions(s)...)
}

// Repository parses a repository name, without tag or digest.
func (a *Access) Repository(s string) (name.Repository, error) {
	return name.NewRepository(s, a.nameOptions(s)...)
}

func (a *Access) nameOptions(s string) []name.Option {
	// A repository parses as its latest tag, so this also finds its host.
	if a.IsInsecure(s) {
		return []name.Option{name.Insecure}
	}
	return nil
}

// Remote are the options of a go-containerregistry remote call made under ctx.
func (a *Access) Remote(ctx context.Context) []remote.Option {
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(a.o.keychain),
		remote.WithTransport(a.o.transport),
		remote.WithRetryBackoff(a.o.backoff),
		remote.WithRetryStatusCodes(a.o.retryCodes...),
		remote.WithJobs(a.o.jobs),
	}
}

// Jobs is the limit of concurrent requests of one operation.
func (a *Access) Jobs() int { return a.o.jobs }

// Keychain is where credentials come from.
func (a *Access) Keychain() authn.Keychain { return a.o.keychain }

// Transport is an authenticated transport to repo's registry, with the
// Access's transport and credentials, for the requests ggcr's remote has no
// call for (the distribution-spec's multi-tag manifest put). It does not
// retry: a request through it must be safe to fall back from.
func (a *Access) Transport(ctx context.Context, repo name.Repository, scopes ...string) (http.RoundTripper, error) {
	auth, err := authn.Resolve(ctx, a.o.keychain, repo)
	if err != nil {
		return nil, fmt.Errorf("credentials for %s: %w", repo, err)
	}
	return transport.NewWithContext(ctx, repo.Registry, auth, a.o.transport, scopes)
}
