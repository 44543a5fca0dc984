package push_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cairn-build/cairn/internal/faultproxy"
	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/push"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// fast retries keep failing tests quick; the retry count is what matters.
var fast = push.WithBackoff(remote.Backoff{Duration: time.Millisecond, Factor: 1, Steps: 3})

// stage uploads a random image by digest only, as a build stages it.
func stage(t testing.TB, repo string) string {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewDigest(repo + "@" + d.String())
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// fixture: a repository where cache-a is at an old digest, and moves that
// put cache-a and cache-b (new) at new digests, then v1 and latest (new).
type fixture struct {
	repo, proxied string
	proxy         *faultproxy.Proxy
	moves         []push.Move
	old           string
}

func newFixture(t *testing.T) *fixture {
	env := testenv.Get(t)
	f := &fixture{proxy: faultproxy.Start(env.Registry)}
	t.Cleanup(f.proxy.Close)
	f.repo = testenv.Repo(t)
	f.proxied = f.proxy.Addr + strings.TrimPrefix(f.repo, env.Registry)
	f.old = stage(t, f.repo)
	oldTag, err := name.NewTag(f.repo + ":cache-a")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Tag(oldTag, mustGet(t, f.repo+"@"+f.old)); err != nil {
		t.Fatal(err)
	}
	a, b, final := stage(t, f.repo), stage(t, f.repo), stage(t, f.repo)
	f.moves = []push.Move{
		{Tag: f.proxied + ":latest", Digest: final, Kind: push.KindFinal},
		{Tag: f.proxied + ":cache-a", Digest: a, Kind: push.KindCache},
		{Tag: f.proxied + ":v1", Digest: final, Kind: push.KindFinal},
		{Tag: f.proxied + ":cache-b", Digest: b, Kind: push.KindCache},
	}
	return f
}

func mustGet(t testing.TB, ref string) *remote.Descriptor {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Get(r)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func states(results []push.TagResult) string {
	var s []string
	for _, r := range results {
		s = append(s, fmt.Sprintf("%s=%s", r.Tag[strings.LastIndex(r.Tag, ":")+1:], r.State))
	}
	return strings.Join(s, " ")
}

func TestCommitMovesCachesFirstAndRecordsPrevious(t *testing.T) {
	f := newFixture(t)
	results, err := push.Commit(context.Background(), f.moves, fast)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := states(results), "cache-a=moved cache-b=moved latest=moved v1=moved"; got != want {
		t.Errorf("states %s, want %s", got, want)
	}
	if results[0].Previous != f.old || results[1].Previous != "" {
		t.Errorf("previous digests %q, %q; want %q, none", results[0].Previous, results[1].Previous, f.old)
	}
	want := map[string]string{}
	for _, m := range f.moves {
		want[m.Tag[strings.LastIndex(m.Tag, ":")+1:]] = m.Digest
	}
	if got := testenv.Tags(t, f.repo); !reflect.DeepEqual(got, want) {
		t.Errorf("registry tags %v, want %v", got, want)
	}
	again, err := push.Commit(context.Background(), f.moves, fast)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := states(again), "cache-a=unchanged cache-b=unchanged latest=unchanged v1=unchanged"; got != want {
		t.Errorf("second commit: states %s, want %s", got, want)
	}
}

func TestFailedFinalTagRollsEverythingBack(t *testing.T) {
	f := newFixture(t)
	before := testenv.Tags(t, f.repo)
	f.proxy.Fail(http.MethodPut, `/manifests/v1$`, http.StatusInternalServerError, -1)
	results, err := push.Commit(context.Background(), f.moves, fast)
	if err == nil {
		t.Fatal("commit succeeded with a failing final tag")
	}
	if !strings.Contains(err.Error(), f.proxied+":v1: failed") {
		t.Errorf("error does not name the failed tag:\n%v", err)
	}
	if got, want := states(results), "cache-a=rolled back cache-b=rolled back latest=rolled back v1=failed"; got != want {
		t.Errorf("states %s, want %s", got, want)
	}
	if after := testenv.Tags(t, f.repo); !reflect.DeepEqual(after, before) {
		t.Errorf("tags after a failed commit %v, want them as before %v", after, before)
	}
}

func TestUnreachableRegistryMovesNothing(t *testing.T) {
	f := newFixture(t)
	before := testenv.Tags(t, f.repo)
	f.proxy.Close()
	results, err := push.Commit(context.Background(), f.moves, fast)
	if err == nil || !strings.Contains(err.Error(), "nothing published") || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("error = %v, want nothing published, connection refused", err)
	}
	if got, want := states(results), "cache-a=pending cache-b=pending latest=pending v1=pending"; got != want {
		t.Errorf("states %s, want %s", got, want)
	}
	if after := testenv.Tags(t, f.repo); !reflect.DeepEqual(after, before) {
		t.Errorf("tags changed: %v, was %v", after, before)
	}
}

func TestRateLimitIsRetried(t *testing.T) {
	f := newFixture(t)
	f.proxy.Fail(http.MethodPut, `/manifests/latest$`, http.StatusTooManyRequests, 2)
	results, err := push.Commit(context.Background(), f.moves, fast)
	if err != nil {
		t.Fatalf("commit after two 429s: %v", err)
	}
	if got, want := states(results), "cache-a=moved cache-b=moved latest=moved v1=moved"; got != want {
		t.Errorf("states %s, want %s", got, want)
	}
}

func TestMissingStagedManifestMovesNothing(t *testing.T) {
	f := newFixture(t)
	before := testenv.Tags(t, f.repo)
	f.moves[2].Digest = "sha256:" + strings.Repeat("0", 64)
	_, err := push.Commit(context.Background(), f.moves, fast)
	if err == nil || !strings.Contains(err.Error(), "read staged manifest") {
		t.Errorf("error = %v, want the missing staged manifest named", err)
	}
	if after := testenv.Tags(t, f.repo); !reflect.DeepEqual(after, before) {
		t.Errorf("tags changed: %v, was %v", after, before)
	}
}

// BenchmarkCommit: the commit phase alone, blobs and manifests staged, on
// the loopback registry: N new tags per commit, each moving.
func BenchmarkCommit(b *testing.B) {
	env := testenv.Get(b)
	for _, n := range []int{3, 10, 30} {
		b.Run(fmt.Sprintf("tags=%d", n), func(b *testing.B) {
			repo := fmt.Sprintf("%s/bench/commit-%d-%d", env.Registry, n, time.Now().UnixNano())
			digests := []string{stage(b, repo), stage(b, repo)}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				moves := make([]push.Move, n)
				for j := range moves {
					kind := push.KindCache
					if j >= n/2 {
						kind = push.KindFinal
					}
					// Alternate digests so every iteration moves every tag.
					moves[j] = push.Move{Tag: fmt.Sprintf("%s:t%d", repo, j), Digest: digests[i%2], Kind: kind}
				}
				if _, err := push.Commit(context.Background(), moves); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
