package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// AuthError is a registry refusing cairn's credentials: none were found
// for it, the login is wrong, or it may pull but not push. The message
// names the registry and the fix, never the password.
type AuthError struct {
	Registry   string // host[:port]
	Repository string
	User       string // the login's user name; "" when there was none
	Status     int    // the registry's answer: 401 or 403
	Err        error
}

func (e *AuthError) Error() string {
	switch {
	case e.Status == http.StatusForbidden:
		return fmt.Sprintf("registry %s: the login of %q may not push to %s (403 denied): log in with credentials that may (docker login %s)", e.Registry, e.User, e.Repository, e.Registry)
	case e.User == "":
		return fmt.Sprintf("registry %s wants a login for %s and the docker config has none for it: run docker login %s (or point DOCKER_CONFIG at a config that has one)", e.Registry, e.Repository, e.Registry)
	default:
		return fmt.Sprintf("registry %s refused the login of %q for %s (401 unauthorized): check the user and password (docker login %s)", e.Registry, e.User, e.Repository, e.Registry)
	}
}

func (e *AuthError) Unwrap() error { return e.Err }

// CheckPushTo is CheckPush for the repository of each ref, once each, in
// order, before anything is built: a missing, wrong or read-only login
// fails at once instead of at the build's first upload.
func (a *Access) CheckPushTo(ctx context.Context, refs []string) error {
	seen := map[string]bool{}
	for _, ref := range refs {
		tag, err := a.Tag(ref)
		if err != nil {
			return fmt.Errorf("%s: %w", ref, err)
		}
		if repo := tag.Context(); !seen[repo.Name()] {
			seen[repo.Name()] = true
			if err := a.CheckPush(ctx, repo); err != nil {
				return err
			}
		}
	}
	return nil
}

// CheckPush asks repo's registry whether cairn's credentials may push
// there, as ko and crane do before they build: it starts a blob upload
// and cancels it. A refusal is an *AuthError.
func (a *Access) CheckPush(ctx context.Context, repo name.Repository) error {
	auth, err := authn.Resolve(ctx, a.o.keychain, repo)
	if err != nil {
		return fmt.Errorf("credentials for %s: %w", repo.RegistryStr(), err)
	}
	user := ""
	if cfg, err := auth.Authorization(); err == nil {
		user = cfg.Username
	}
	refused := func(err error) error { return asAuthError(err, repo, user) }
	tr, err := transport.NewWithContext(ctx, repo.Registry, auth, a.o.transport, []string{repo.Scope(transport.PushScope)})
	if err != nil {
		return refused(err)
	}
	client := &http.Client{Transport: tr}
	url := fmt.Sprintf("%s://%s/v2/%s/blobs/uploads/", repo.Scheme(), repo.RegistryStr(), repo.RepositoryStr())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("check push access to %s: %w", repo, err)
	}
	defer resp.Body.Close()
	if err := transport.CheckError(resp, http.StatusAccepted); err != nil {
		return refused(err)
	}
	if loc, err := resp.Location(); err == nil {
		cancelUpload(ctx, client, loc.String())
	}
	return nil
}

// cancelUpload deletes the upload CheckPush started; a registry that
// keeps it expires it, so a failure here is not one of the check's.
func cancelUpload(ctx context.Context, client *http.Client, location string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, location, nil)
	if err != nil {
		return
	}
	if resp, err := client.Do(req); err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// authError is err as an *AuthError when the registry answered 401 or 403.
func asAuthError(err error, repo name.Repository, user string) error {
	var terr *transport.Error
	if !errors.As(err, &terr) || terr.StatusCode != http.StatusUnauthorized && terr.StatusCode != http.StatusForbidden {
		return fmt.Errorf("check push access to %s: %w", repo, err)
	}
	return &AuthError{Registry: repo.RegistryStr(), Repository: repo.Name(), User: user, Status: terr.StatusCode, Err: err}
}
