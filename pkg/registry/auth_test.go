package registry_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/session"

	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/registry"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestBuildKitUsesTheKeychain: against a registry that wants a login, BuildKit
// pushes and pulls with the credentials of the docker config through
// SessionAuth, and is refused without them; cairn's own requests use the
// same keychain.
func TestBuildKitUsesTheKeychain(t *testing.T) {
	env := testenv.Get(t)
	host := testenv.StartRegistry(t, testenv.RegistryOptions{Logins: map[string]string{"ci": "s3cret"}}).Addr
	testenv.DockerLogin(t, host, "ci", "s3cret")
	a, err := registry.New()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	repo := host + "/cairn/auth"
	stamp := fmt.Sprint(time.Now().UnixNano())
	image := llb.Scratch().File(llb.Mkfile("/stamp", 0o644, []byte(stamp)))

	c := connect(t, ctx, env.BuildkitHost)
	_, err = pushByDigest(ctx, c, image, repo, nil)
	if err == nil || !strings.Contains(err.Error(), "401") && !strings.Contains(strings.ToLower(err.Error()), "unauthorized") {
		t.Fatalf("push without the session's credentials: %v, want it refused", err)
	}
	t.Logf("push without credentials: %v", err)
	digest, err := pushByDigest(ctx, c, image, repo, a.SessionAuth())
	if err != nil {
		t.Fatalf("push with the session's credentials: %v", err)
	}

	ref, err := a.Reference(repo + "@" + digest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := remote.Head(ref, a.Remote(ctx)...); err != nil {
		t.Errorf("cairn's own request with the keychain: %v", err)
	}
	anonymous, err := registry.New(registry.WithKeychain(authn.NewMultiKeychain()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := remote.Head(ref, anonymous.Remote(ctx)...); err == nil {
		t.Error("an anonymous request read the image: the registry does not check logins")
	}

	// A fresh daemon has nothing cached, so the pull goes to the registry.
	fresh := connect(t, ctx, testenv.NewDaemon(t).Addr)
	pulled := llb.Image(repo + "@" + digest)
	if _, err := exportLocal(ctx, t, fresh, pulled, nil); err == nil {
		t.Error("pull without the session's credentials succeeded")
	} else {
		t.Logf("pull without credentials: %v", err)
	}
	dir, err := exportLocal(ctx, t, fresh, pulled, a.SessionAuth())
	if err != nil {
		t.Fatalf("pull with the session's credentials: %v", err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "stamp")); err != nil || string(got) != stamp {
		t.Errorf("pulled /stamp = %q, %v; want %q", got, err, stamp)
	}
}

func connect(t *testing.T, ctx context.Context, addr string) *client.Client {
	t.Helper()
	c, err := client.New(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func pushByDigest(ctx context.Context, c *client.Client, st llb.State, repo string, attach session.Attachable) (string, error) {
	def, err := st.Marshal(ctx)
	if err != nil {
		return "", err
	}
	opt := client.SolveOpt{Exports: []client.ExportEntry{{Type: client.ExporterImage, Attrs: map[string]string{
		"name": repo, "push": "true", "push-by-digest": "true", "registry.insecure": "true",
	}}}}
	if attach != nil {
		opt.Session = []session.Attachable{attach}
	}
	resp, err := c.Solve(ctx, def, opt, nil)
	if err != nil {
		return "", err
	}
	return resp.ExporterResponse["containerimage.digest"], nil
}

func exportLocal(ctx context.Context, t *testing.T, c *client.Client, st llb.State, attach session.Attachable) (string, error) {
	def, err := st.Marshal(ctx)
	if err != nil {
		return "", err
	}
	dir := t.TempDir()
	opt := client.SolveOpt{Exports: []client.ExportEntry{{Type: client.ExporterLocal, OutputDir: dir}}}
	if attach != nil {
		opt.Session = []session.Attachable{attach}
	}
	_, err = c.Solve(ctx, def, opt, nil)
	return dir, err
}
