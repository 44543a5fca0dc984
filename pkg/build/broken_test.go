package build_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cairn-build/cairn/internal/testenv"
)

// deleteLastLayer deletes, through the registry API, the blob of the last
// layer of ref's image: what a registry's garbage collection or a retention
// policy does to a cache that is still referenced.
func deleteLastLayer(t *testing.T, ref string) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	d, err := layers[len(layers)-1].Digest()
	if err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("http://%s/v2/%s/blobs/%s", r.Context().RegistryStr(), r.Context().RepositoryStr(), d)
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodDelete, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("DELETE %s: %s", url, resp.Status)
	}
}

// TestBrokenCacheIsRebuilt: a cache whose blobs were deleted makes BuildKit
// fail the solve (moby/buildkit#2836); cairn retries the stage without it.
func TestBrokenCacheIsRebuilt(t *testing.T) {
	repo, dir := testenv.Repo(t), project(t, "node-style")
	buildOn(t, testenv.NewDaemon(t).Addr, dir, repo)
	deleteLastLayer(t, repo+":cache-deps")
	res := stages(buildOn(t, testenv.NewDaemon(t).Addr, dir, repo))
	if d := res["deps"]; d.Cached == d.Steps {
		t.Errorf("deps: all %d steps cached from a cache with a deleted blob", d.Steps)
	}
	if !strings.Contains(res["deps"].Note, "broken") {
		t.Errorf("deps: note %q, want a warning about the broken cache", res["deps"].Note)
	}
}
