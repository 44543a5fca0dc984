package push_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cairn-build/cairn/internal/faultproxy"
	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/push"
	"github.com/cairn-build/cairn/pkg/registry"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// fast is registry access with quick retries, which keep failing tests
// quick; the retry count is what matters.
func fast(t testing.TB) *registry.Access {
	t.Helper()
	reg, err := registry.New(registry.WithRetryBackoff(remote.Backoff{Duration: time.Millisecond, Factor: 1, Steps: 3}))
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

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
	return testenv.Push(t, repo+"@"+d.String(), img)
}

// fixture: a repository where cache-a is at an old digest, and moves that
// put cache-a and cache-b (new) at new digests, then v1 and latest (new).
type fixture struct {
	repo, proxied string
	proxy         *faultproxy.Proxy
	moves         []push.Move
	old           string
	digests       map[string]string // tag (the part after the colon) → its move's digest
	before        map[string]string // the repository's tags before any commit: cache-a at old
}

// commitHeldAt starts the fixture's commit and returns once it reached its
// put of tag, which the proxy holds; release lets the commit go on and
// returns its error.
func (f *fixture) commitHeldAt(t *testing.T, tag string) (release func() error) {
	t.Helper()
	hold := f.proxy.Hold(http.MethodPut, `/manifests/`+tag+`$`)
	done := make(chan error, 1)
	go func() {
		_, err := push.Commit(t.Context(), fast(t), f.moves)
		done <- err
	}()
	<-hold.Reached()
	return func() error {
		hold.Release()
		return <-done
	}
}

func newFixture(t *testing.T) *fixture {
	repo := testenv.Repo(t) // with -short, in a registry of the test's own
	host, _, _ := strings.Cut(repo, "/")
	f := &fixture{repo: repo, proxy: faultproxy.Start(host)}
	t.Cleanup(f.proxy.Close)
	f.proxied = f.proxy.Addr + strings.TrimPrefix(f.repo, host)
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
	f.digests = map[string]string{"cache-a": a, "cache-b": b, "latest": final, "v1": final}
	f.before = testenv.Tags(t, f.repo)
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

// expect checks the results' states (as states writes them) and that the
// repository's tags are tags.
func (f *fixture) expect(t *testing.T, results []push.TagResult, want string, tags map[string]string) {
	t.Helper()
	expectStates(t, results, want)
	if got := testenv.Tags(t, f.repo); !reflect.DeepEqual(got, tags) {
		t.Errorf("tags %v, want %v", got, tags)
	}
}

func expectStates(t *testing.T, results []push.TagResult, want string) {
	t.Helper()
	if got := states(results); got != want {
		t.Errorf("states %s, want %s", got, want)
	}
}

// states is "tag=state …" in commit order, tags without their repository.
func states(results []push.TagResult) string {
	var s []string
	for _, r := range results {
		tag, err := name.NewTag(r.Tag)
		if err != nil {
			return err.Error()
		}
		s = append(s, fmt.Sprintf("%s=%s", tag.TagStr(), r.State))
	}
	return strings.Join(s, " ")
}

func TestCommitMovesCachesFirstAndRecordsPrevious(t *testing.T) {
	f := newFixture(t)
	results, err := push.Commit(t.Context(), fast(t), f.moves)
	if err != nil {
		t.Fatal(err)
	}
	expectStates(t, results, "cache-a=moved cache-b=moved latest=moved v1=moved")
	if results[0].Previous != f.old || results[1].Previous != "" {
		t.Errorf("previous digests %q, %q; want %q, none", results[0].Previous, results[1].Previous, f.old)
	}
	if got, want := testenv.Tags(t, f.repo), f.digests; !reflect.DeepEqual(got, want) {
		t.Errorf("registry tags %v, want %v", got, want)
	}
	again, err := push.Commit(t.Context(), fast(t), f.moves)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := states(again), "cache-a=unchanged cache-b=unchanged latest=unchanged v1=unchanged"; got != want {
		t.Errorf("second commit: states %s, want %s", got, want)
	}
}

func TestFailedFinalTagRollsEverythingBack(t *testing.T) {
	f := newFixture(t)
	f.proxy.Fail(http.MethodPut, `/manifests/v1$`, http.StatusInternalServerError, -1)
	results, err := push.Commit(t.Context(), fast(t), f.moves)
	var cerr *push.CommitError
	if !errors.As(err, &cerr) {
		t.Fatalf("error %v (%T), want a *push.CommitError", err, err)
	}
	if !cerr.RolledBack || !strings.HasPrefix(err.Error(), "publish failed; every moved tag was put back\n") {
		t.Errorf("RolledBack %v, error:\n%v\nwant every moved tag put back", cerr.RolledBack, err)
	}
	if !strings.Contains(err.Error(), f.proxied+":v1: failed") {
		t.Errorf("error does not name the failed tag:\n%v", err)
	}
	expectStates(t, results, "cache-a=rolled-back cache-b=rolled-back latest=rolled-back v1=failed")
	if !reflect.DeepEqual(cerr.Tags, results) {
		t.Errorf("error's tags %v, want the results %v", cerr.Tags, results)
	}
	if after := testenv.Tags(t, f.repo); !reflect.DeepEqual(after, f.before) {
		t.Errorf("tags after a failed commit %v, want them as before %v", after, f.before)
	}
}

// TestFailedRollbackIsNamed: the final tag's put fails, and so does putting
// back a tag that already moved. The error says which tag stays moved and
// where, and the registry shows exactly that tag moved.
func TestFailedRollbackIsNamed(t *testing.T) {
	tests := []struct {
		name   string
		stuck  string // the tag whose roll back fails
		inject func(p *faultproxy.Proxy)
		states string
	}{
		{
			name:  "putting back an existing tag fails",
			stuck: "cache-a",
			// Its first put (the move) goes through; the second (back to the old digest) fails.
			inject: func(p *faultproxy.Proxy) {
				p.FailAfter(http.MethodPut, `/manifests/cache-a$`, 1, http.StatusInternalServerError, -1)
			},
			states: "cache-a=left-moved cache-b=rolled-back latest=rolled-back v1=failed",
		},
		{
			name:  "deleting a new tag fails",
			stuck: "cache-b",
			inject: func(p *faultproxy.Proxy) {
				p.Fail(http.MethodDelete, `/manifests/cache-b$`, http.StatusInternalServerError, -1)
			},
			states: "cache-a=rolled-back cache-b=left-moved latest=rolled-back v1=failed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			want := maps.Clone(testenv.Tags(t, f.repo))
			want[tt.stuck] = f.digests[tt.stuck]
			f.proxy.Fail(http.MethodPut, `/manifests/v1$`, http.StatusInternalServerError, -1)
			tt.inject(f.proxy)
			results, err := push.Commit(t.Context(), fast(t), f.moves)
			var cerr *push.CommitError
			if !errors.As(err, &cerr) {
				t.Fatalf("error %v (%T), want a *push.CommitError", err, err)
			}
			if cerr.RolledBack {
				t.Error("RolledBack is true with a tag left moved")
			}
			headline, _, _ := strings.Cut(err.Error(), "\n")
			if stuck := f.proxied + ":" + tt.stuck + " at " + f.digests[tt.stuck]; !strings.Contains(headline, stuck) || strings.Contains(headline, "every moved tag was put back") {
				t.Errorf("headline %q, want it to name %s", headline, stuck)
			}
			if got := states(results); got != tt.states {
				t.Errorf("states %s, want %s", got, tt.states)
			}
			if got := testenv.Tags(t, f.repo); !reflect.DeepEqual(got, want) {
				t.Errorf("registry tags %v, want %v: only %s moved", got, want, tt.stuck)
			}
		})
	}
}

// cancelOn cancels the commit's context when a request's path matches,
// instead of sending that request: an interrupt in the middle of a commit.
type cancelOn struct {
	path   *regexp.Regexp
	cancel context.CancelFunc
}

func (c *cancelOn) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPut && c.path.MatchString(req.URL.Path) {
		c.cancel()
		return nil, context.Canceled
	}
	return http.DefaultTransport.RoundTrip(req)
}

func TestCanceledCommitRollsBack(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// One put at a time: latest's put is interrupted, and v1's never starts.
	reg, err := registry.New(registry.WithJobs(1), registry.WithTransport(&cancelOn{path: regexp.MustCompile(`/manifests/latest$`), cancel: cancel}),
		registry.WithRetryBackoff(remote.Backoff{Duration: time.Millisecond, Factor: 1, Steps: 3}))
	if err != nil {
		t.Fatal(err)
	}
	results, err := push.Commit(ctx, reg, f.moves)
	var cerr *push.CommitError
	if !errors.As(err, &cerr) || !cerr.RolledBack || !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v (%T), want a rolled back *push.CommitError that is context.Canceled", err, err)
	}
	f.expect(t, results, "cache-a=rolled-back cache-b=rolled-back latest=failed v1=pending", f.before)
}

func TestUnreachableRegistryMovesNothing(t *testing.T) {
	f := newFixture(t)
	f.proxy.Close()
	results, err := push.Commit(t.Context(), fast(t), f.moves)
	var perr *push.PrepareError
	if !errors.As(err, &perr) || !strings.HasPrefix(err.Error(), "nothing published: ") || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("error = %v (%T), want a *push.PrepareError: nothing published, connection refused", err, err)
	}
	f.expect(t, results, "cache-a=pending cache-b=pending latest=pending v1=pending", f.before)
}

func TestRateLimitIsRetried(t *testing.T) {
	f := newFixture(t)
	f.proxy.Fail(http.MethodPut, `/manifests/latest$`, http.StatusTooManyRequests, 2)
	results, err := push.Commit(t.Context(), fast(t), f.moves)
	if err != nil {
		t.Fatalf("commit after two 429s: %v", err)
	}
	expectStates(t, results, "cache-a=moved cache-b=moved latest=moved v1=moved")
}

func TestMissingStagedManifestMovesNothing(t *testing.T) {
	f := newFixture(t)
	f.moves[2].Digest = "sha256:" + strings.Repeat("0", 64)
	_, err := push.Commit(t.Context(), fast(t), f.moves)
	var perr *push.PrepareError
	if !errors.As(err, &perr) || !strings.Contains(err.Error(), "read staged manifest") {
		t.Errorf("error = %v (%T), want a *push.PrepareError naming the missing staged manifest", err, err)
	}
	if after := testenv.Tags(t, f.repo); !reflect.DeepEqual(after, f.before) {
		t.Errorf("tags changed: %v, was %v", after, f.before)
	}
}

// BenchmarkCommit: the commit phase alone, blobs and manifests staged, on
// the loopback registry: N new tags per commit, each moving.
func BenchmarkCommit(b *testing.B) {
	env := testenv.Get(b)
	reg := fast(b)
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
				if _, err := push.Commit(context.Background(), reg, moves); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
