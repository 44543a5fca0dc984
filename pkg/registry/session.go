package registry

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth"
	"google.golang.org/grpc"
)

// dockerHubHost is the host BuildKit asks credentials for when it talks to
// Docker Hub; the docker config keeps them under name.DefaultRegistry.
const dockerHubHost = "registry-1.docker.io"

// SessionAuth gives a BuildKit session the credentials of the Access's
// keychain, so the daemon pulls and pushes as cairn's own requests do.
//
// It answers only the Credentials RPC. BuildKit v0.33.1 asks
// GetTokenAuthority first when a registry wants a bearer token; this
// answers Unimplemented, and the daemon then asks Credentials and fetches
// the token itself (util/resolver/authorizer.go). Implementing
// GetTokenAuthority would commit the session to FetchToken, which BuildKit
// calls without any fallback, and ggcr's keychain gives credentials, not
// tokens.
func (a *Access) SessionAuth() session.Attachable {
	return &sessionAuth{keychain: a.o.keychain}
}

type sessionAuth struct {
	auth.UnimplementedAuthServer
	keychain authn.Keychain
}

func (s *sessionAuth) Register(srv *grpc.Server) { auth.RegisterAuthServer(srv, s) }

// Credentials answers the daemon's request for one registry host. No
// credentials is an empty answer, which BuildKit takes as anonymous access.
func (s *sessionAuth) Credentials(ctx context.Context, req *auth.CredentialsRequest) (*auth.CredentialsResponse, error) {
	host := req.Host
	if host == dockerHubHost {
		host = name.DefaultRegistry
	}
	reg, err := name.NewRegistry(host)
	if err != nil {
		return nil, fmt.Errorf("credentials for %q: %w", req.Host, err)
	}
	authenticator, err := authn.Resolve(ctx, s.keychain, reg)
	if err != nil {
		return nil, fmt.Errorf("credentials for %s: %w", req.Host, err)
	}
	cfg, err := authn.Authorization(ctx, authenticator)
	if err != nil {
		return nil, fmt.Errorf("credentials for %s: %w", req.Host, err)
	}
	return credentials(cfg)
}

// credentials maps a keychain's answer to what BuildKit uses: a user and
// password, or an identity token (an OAuth refresh token) as the secret
// with no user, as docker's own session provider sends it. A registry token
// (a bearer token for the registry itself) cannot be passed on this way.
func credentials(cfg *authn.AuthConfig) (*auth.CredentialsResponse, error) {
	if cfg.IdentityToken != "" {
		return &auth.CredentialsResponse{Secret: cfg.IdentityToken}, nil
	}
	user, password := cfg.Username, cfg.Password
	if user == "" && password == "" && cfg.Auth != "" {
		decoded, err := base64.StdEncoding.DecodeString(cfg.Auth)
		if err != nil {
			return nil, fmt.Errorf("decode auth: %w", err)
		}
		var ok bool
		user, password, ok = strings.Cut(string(decoded), ":")
		if !ok {
			return nil, fmt.Errorf("decode auth: want user:password")
		}
	}
	return &auth.CredentialsResponse{Username: user, Secret: password}, nil
}
