package build_test

import (
	"strings"
	"testing"

	"github.com/cairn-build/cairn/internal/testenv"
)

// TestBrokenCacheIsRebuilt: a cache whose blobs were deleted makes BuildKit
// fail the solve (moby/buildkit#2836); cairn retries the stage without it.
func TestBrokenCacheIsRebuilt(t *testing.T) {
	repo, dir := testenv.Repo(t), project(t, "node-style")
	buildOn(t, testenv.NewDaemon(t).Addr, dir, repo)
	layers := testenv.Layers(t, repo+":cache-deps")
	testenv.DeleteBlob(t, repo+":cache-deps", layers[len(layers)-1])
	res := stages(buildOn(t, testenv.NewDaemon(t).Addr, dir, repo))
	if d := res["deps"]; d.Cached == d.Steps {
		t.Errorf("deps: all %d steps cached from a cache with a deleted blob", d.Steps)
	}
	if !strings.Contains(res["deps"].Note, "broken") {
		t.Errorf("deps: note %q, want a warning about the broken cache", res["deps"].Note)
	}
}
