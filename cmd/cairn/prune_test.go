package main

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cairn-build/cairn/internal/faultproxy"
	"github.com/cairn-build/cairn/internal/testenv"
)

const tieredApp = `version: 1
cache:
  ref: "{repository}:cache-{branch}-{stage}"
  fallback: ["{repository}:cache-main-{stage}"]
  protected: [main]
targets:
  app:
    tags: [latest]
`

// TestPruneDeletesStaleTier: of four tiers, main (protected), stale-one and
// stale-two written before a cutoff and fresh after it, `cairn prune
// --older-than` deletes the stale tiers' cache tags and stamps, and nothing
// else: not main's, not fresh's, not the final tag. stale-two's images are
// main's and fresh's too (the same sources): a registry that cannot delete
// tags gets stale-one's manifests deleted by digest, and stale-two's are
// left alone, as deleting them would delete main's tags. A dry run and a
// registry that refuses deletes change nothing.
func TestPruneDeletesStaleTier(t *testing.T) {
	env := testenv.Get(t)
	dir := testenv.WriteDir(t, map[string]string{"Dockerfile": app, "build.yaml": tieredApp})
	// Two tiers built from the same sources share their cache manifests,
	// the case a prune must keep; provenance would give each its own index.
	t.Setenv("BUILDX_NO_DEFAULT_ATTESTATIONS", "1")
	repo := testenv.Repo(t)
	build := func(branch string, args ...string) {
		t.Helper()
		args = append([]string{"build", "--addr", env.BuildkitHost, "--repository", repo, "--push", "--progress", "quiet", "--branch", branch, "--target", "app"}, args...)
		if branch != "main" {
			args = append(args, "--allow-release") // unprotected, they move latest too: their tiers are what matters here
		}
		code, _, stderr := runCLI(t, dir, args...)
		if code != 0 {
			t.Fatalf("build of %s: exit %d: %s", branch, code, stderr)
		}
	}
	build("main")
	build("stale/one", "--build-arg", "STAMP=2") // blobs of its own, which its prune frees
	build("stale/two")
	cutoff := time.Now()
	time.Sleep(10 * time.Millisecond)
	build("fresh")
	before := testenv.Tags(t, repo)
	tierTags := func(tier string) []string {
		return []string{"cache-" + tier + "-base", "cache-" + tier + "-app", "cache-" + tier + "-_tier"}
	}
	for _, tier := range []string{"main", "stale-one", "stale-two", "fresh"} {
		for _, tag := range tierTags(tier) {
			if before[tag] == "" {
				t.Fatalf("no %s after the builds: %v", tag, before)
			}
		}
	}
	if before["cache-stale-two-app"] != before["cache-main-app"] {
		t.Fatalf("stale-two's app image is not main's: %v", before)
	}
	without := func(tiers ...string) map[string]string {
		m := maps.Clone(before)
		for _, tier := range tiers {
			for _, tag := range tierTags(tier) {
				delete(m, tag)
			}
		}
		return m
	}
	assertTags := func(what string, want map[string]string, output string) {
		t.Helper()
		if after := testenv.Tags(t, repo); !maps.Equal(after, want) {
			t.Errorf("%s left:\n %v\nwant\n %v\noutput:\n%s", what, after, want, output)
		}
	}
	age := func() string { return time.Since(cutoff).Round(time.Millisecond).String() }
	prune := func(repo string, args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, dir, append([]string{"prune", "--repository", repo, "--older-than", age()}, args...)...)
	}

	code, stdout, stderr := prune(repo, "--dry-run")
	if code != 0 {
		t.Fatalf("dry run: exit %d: %s", code, stderr)
	}
	for _, want := range append(append(tierTags("stale-one"), tierTags("stale-two")...), "stale-one  stale/one", "would delete", "would free", `protected (cache.protected "main")`) {
		if !strings.Contains(stdout, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "  "+repo+":cache-fresh") || strings.Contains(stdout, "  "+repo+":cache-main") {
		t.Errorf("dry run would delete fresh or main tags:\n%s", stdout)
	}
	doomed := append(tierTags("stale-one"), tierTags("stale-two")...)
	if want := fmt.Sprintf("(%d bytes)", exclusiveBytes(t, repo, doomed)); !strings.Contains(stdout, want) {
		t.Errorf("dry run output lacks %q:\n%s", want, stdout)
	}
	assertTags("dry run", before, stdout)

	proxy := faultproxy.Start(env.Registry)
	defer proxy.Close()
	proxied := proxy.Addr + strings.TrimPrefix(repo, env.Registry)
	proxy.Fail(http.MethodDelete, `/manifests/`, http.StatusMethodNotAllowed, -1)
	code, stdout, stderr = prune(proxied)
	if code != 1 || !strings.Contains(stderr, "the registry refuses deletes") || !strings.Contains(stderr, "405") || !strings.Contains(stderr, "storage.delete.enabled") {
		t.Errorf("refused deletes: exit %d, stderr:\n%s", code, stderr)
	}
	assertTags("a refused prune", before, stdout)

	// As a registry without OCI 1.1 tag deletes answers (distribution 2).
	proxy.Heal()
	proxy.Fail(http.MethodDelete, `/manifests/cache-`, http.StatusBadRequest, -1)
	code, stdout, stderr = prune(proxied)
	if code != 1 || !strings.Contains(stderr, "kept tags point at it too") || !strings.Contains(stderr, "cache-main-") {
		t.Errorf("tag deletes refused: exit %d, want 1 and stale-two's shared manifests named; stderr:\n%s", code, stderr)
	}
	assertTags("a prune by digest", without("stale-one"), stdout)

	code, stdout, stderr = prune(repo)
	if code != 0 || !strings.Contains(stdout, "deleted") || !strings.Contains(stdout, "freed") {
		t.Fatalf("prune: exit %d: %s\n%s", code, stderr, stdout)
	}
	assertTags("prune", without("stale-one", "stale-two"), stdout)
}

// exclusiveBytes sums the config and layer blobs the doomed tags reference
// and no other tag of repo does.
func exclusiveBytes(t *testing.T, repo string, doomed []string) int64 {
	t.Helper()
	r, err := name.NewRepository(repo, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	blobs := func(tag string) map[string]int64 {
		img, err := remote.Image(r.Tag(tag))
		if err != nil {
			t.Fatal(err)
		}
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int64{m.Config.Digest.String(): m.Config.Size}
		for _, l := range m.Layers {
			out[l.Digest.String()] = l.Size
		}
		return out
	}
	mine, others := map[string]int64{}, map[string]bool{}
	for tag := range testenv.Tags(t, repo) {
		for d, size := range blobs(tag) {
			if slices.Contains(doomed, tag) {
				mine[d] = size
			} else {
				others[d] = true
			}
		}
	}
	var n int64
	for d, size := range mine {
		if !others[d] {
			n += size
		}
	}
	if n == 0 {
		t.Fatal("the doomed tags have no blobs of their own: the test proves nothing about the bytes")
	}
	return n
}
