package registry_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/moby/buildkit/session/auth"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cairn-build/cairn/pkg/registry"
)

// hostKeychain answers by registry host, as the docker config does, and
// records the hosts it was asked for.
type hostKeychain struct {
	byHost map[string]authn.Authenticator
	asked  []string
}

func (k *hostKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	k.asked = append(k.asked, r.RegistryStr())
	if r.RegistryStr() == "broken.example.com" {
		return nil, errors.New("credential helper failed")
	}
	if a, ok := k.byHost[r.RegistryStr()]; ok {
		return a, nil
	}
	return authn.Anonymous, nil
}

func TestSessionCredentials(t *testing.T) {
	k := &hostKeychain{byHost: map[string]authn.Authenticator{
		"127.0.0.1:5000":  &authn.Basic{Username: "ci", Password: "s3cret"},
		"ghcr.io":         authn.FromConfig(authn.AuthConfig{IdentityToken: "refresh-token"}),
		"index.docker.io": authn.FromConfig(authn.AuthConfig{Username: "hub", Password: "hubpass"}),
		"auth.example.com": authn.FromConfig(authn.AuthConfig{
			Auth: base64.StdEncoding.EncodeToString([]byte("encoded:pa:ss")),
		}),
	}}
	a, err := registry.New(registry.WithKeychain(k))
	if err != nil {
		t.Fatal(err)
	}
	srv, ok := a.SessionAuth().(auth.AuthServer)
	if !ok {
		t.Fatalf("SessionAuth is a %T, not a BuildKit auth server", a.SessionAuth())
	}
	tests := []struct {
		host, user, secret, asked string
	}{
		{host: "127.0.0.1:5000", user: "ci", secret: "s3cret", asked: "127.0.0.1:5000"},
		{host: "ghcr.io", secret: "refresh-token", asked: "ghcr.io"}, // identity token: no user
		{host: "registry-1.docker.io", user: "hub", secret: "hubpass", asked: "index.docker.io"},
		{host: "auth.example.com", user: "encoded", secret: "pa:ss", asked: "auth.example.com"},
		{host: "quay.io", asked: "quay.io"}, // anonymous
	}
	for _, tt := range tests {
		k.asked = nil
		resp, err := srv.Credentials(t.Context(), &auth.CredentialsRequest{Host: tt.host})
		if err != nil {
			t.Errorf("%s: %v", tt.host, err)
			continue
		}
		if resp.Username != tt.user || resp.Secret != tt.secret {
			t.Errorf("%s: got %q/%q, want %q/%q", tt.host, resp.Username, resp.Secret, tt.user, tt.secret)
		}
		if len(k.asked) != 1 || k.asked[0] != tt.asked {
			t.Errorf("%s: keychain asked for %v, want %s", tt.host, k.asked, tt.asked)
		}
	}
	if _, err := srv.Credentials(t.Context(), &auth.CredentialsRequest{Host: "broken.example.com"}); err == nil || !strings.Contains(err.Error(), "credential helper failed") {
		t.Errorf("failing keychain: error %v, want its cause", err)
	}
}

// TestSessionLeavesTokensToTheDaemon: BuildKit falls back to Credentials
// only when GetTokenAuthority is unimplemented; FetchToken is never needed.
func TestSessionLeavesTokensToTheDaemon(t *testing.T) {
	a, err := registry.New()
	if err != nil {
		t.Fatal(err)
	}
	srv := a.SessionAuth().(auth.AuthServer)
	ctx := t.Context()
	_, errAuthority := srv.GetTokenAuthority(ctx, &auth.GetTokenAuthorityRequest{Host: "ghcr.io"})
	_, errFetch := srv.FetchToken(ctx, &auth.FetchTokenRequest{Host: "ghcr.io"})
	for name, err := range map[string]error{"GetTokenAuthority": errAuthority, "FetchToken": errFetch} {
		if status.Code(err) != codes.Unimplemented {
			t.Errorf("%s: %v, want Unimplemented", name, err)
		}
	}
}
