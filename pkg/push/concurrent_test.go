package push_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/push"
	"github.com/cairn-build/cairn/pkg/registry"
)

// another stages a second build for the fixture's tags: new digests for
// every move, as a publish of another source has.
func (f *fixture) another(t *testing.T) ([]push.Move, map[string]string) {
	t.Helper()
	a, b, final := stage(t, f.repo), stage(t, f.repo), stage(t, f.repo)
	digests := map[string]string{"cache-a": a, "cache-b": b, "latest": final, "v1": final}
	moves := make([]push.Move, len(f.moves))
	for i, m := range f.moves {
		tag, _ := strings.CutPrefix(m.Tag, f.proxied+":")
		moves[i] = push.Move{Tag: f.repo + ":" + tag, Digest: digests[tag], Kind: m.Kind}
	}
	return moves, digests
}

// commitRecord reads the repository's commit record: its state and body.
func commitRecord(t *testing.T, repo string) (string, map[string]any) {
	t.Helper()
	desc := mustGet(t, repo+":"+push.RecordTag)
	var m ocispecs.Manifest
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(m.Annotations[registry.Annotation(registry.KeyCommit+"body")]), &body); err != nil {
		t.Fatal(err)
	}
	return m.Annotations[registry.Annotation(registry.KeyCommit+"state")], body
}

func TestCommitRecordIsDoneAfterwards(t *testing.T) {
	f := newFixture(t)
	if _, err := push.Commit(t.Context(), fast(t), f.moves); err != nil {
		t.Fatal(err)
	}
	state, body := commitRecord(t, f.repo)
	if state != "done" || body["outcome"] != "published" || len(body["tags"].([]any)) != 4 {
		t.Errorf("record after a publish: state %q, body %v; want done, published, 4 tags", state, body)
	}
	moves, _ := f.another(t)
	f.proxy.Fail(http.MethodPut, `/manifests/v1$`, http.StatusInternalServerError, -1)
	for i := range moves {
		moves[i].Tag = strings.Replace(moves[i].Tag, f.repo, f.proxied, 1)
	}
	if _, err := push.Commit(t.Context(), fast(t), moves); err == nil {
		t.Fatal("commit with a failing put succeeded")
	}
	if state, body := commitRecord(t, f.repo); state != "done" || body["outcome"] != "rolled-back" {
		t.Errorf("record after a rolled back commit: state %q, outcome %v; want done, rolled-back", state, body["outcome"])
	}
}

// TestConcurrentCommitsPublishOneSet: two commits of different builds start
// together. Both read the tags before either moves one; the one that takes
// the record second finds the final tags moved and fails with nothing moved.
func TestConcurrentCommitsPublishOneSet(t *testing.T) {
	f := newFixture(t)
	movesB, digestsB := f.another(t)
	sets := [][]push.Move{f.moves, movesB}
	digests := []map[string]string{f.digests, digestsB}
	var (
		wg      sync.WaitGroup
		results = make([][]push.TagResult, 2)
		errs    = make([]error, 2)
		start   = make(chan struct{})
	)
	for i := range sets {
		wg.Go(func() {
			<-start
			results[i], errs[i] = push.Commit(t.Context(), fast(t), sets[i], push.WithSourceTime(time.Unix(int64(1000+i), 0)))
		})
	}
	close(start)
	wg.Wait()
	winner, loser := 0, 1
	if errs[0] != nil {
		winner, loser = 1, 0
	}
	if errs[winner] != nil {
		t.Fatalf("both commits failed: %v\n%v", errs[0], errs[1])
	}
	var perr *push.PrepareError
	var conflict *push.ConflictError
	if !errors.As(errs[loser], &perr) || !errors.As(errs[loser], &conflict) {
		t.Fatalf("the second commit: %v (%T), want a *push.PrepareError with a *push.ConflictError", errs[loser], errs[loser])
	}
	want := with(f.before, digests[winner])
	if got := testenv.Tags(t, f.repo); !reflect.DeepEqual(got, want) {
		t.Errorf("registry tags %v, want the winner's complete set %v", got, want)
	}
	for _, tag := range []string{"latest", "v1"} {
		msg := fmt.Sprintf(":%s: moved by another publisher from (no tag) to %s", tag, digests[winner][tag])
		if !strings.Contains(errs[loser].Error(), msg) {
			t.Errorf("the loser's error does not say %q:\n%v", msg, errs[loser])
		}
	}
	if got := states(results[loser]); !strings.Contains(got, "latest=conflict v1=conflict") {
		t.Errorf("loser's states %s, want latest and v1 in conflict", got)
	}
}

// with is before with over's entries.
func with(before, over map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range before {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

// TestNewerCacheIsKept: a build of an older source publishes after one of a
// newer source. Its final tags move (they were where its commit found them);
// its caches are skipped, with a note; a newer build then moves them.
func TestNewerCacheIsKept(t *testing.T) {
	f := newFixture(t)
	newer := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	if _, err := push.Commit(t.Context(), fast(t), f.moves, push.WithSourceTime(newer)); err != nil {
		t.Fatal(err)
	}
	older, digests := f.another(t)
	results, err := push.Commit(t.Context(), fast(t), older, push.WithSourceTime(newer.Add(-time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	expectStates(t, results, "cache-a=skipped-newer cache-b=skipped-newer latest=moved v1=moved")
	if !strings.Contains(results[0].Note, "newer source (2026-05-01T00:00:00Z") || results[0].Previous != f.digests["cache-a"] {
		t.Errorf("skipped cache: %+v, want a note naming the newer source time and its digest as previous", results[0])
	}
	got := testenv.Tags(t, f.repo)
	if got["cache-a"] != f.digests["cache-a"] || got["cache-b"] != f.digests["cache-b"] || got["latest"] != digests["latest"] {
		t.Errorf("tags %v: want the newer caches and the older build's final tags", got)
	}
	latest, _ := f.another(t)
	results, err = push.Commit(t.Context(), fast(t), latest, push.WithSourceTime(newer))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := states(results), "cache-a=moved cache-b=moved latest=moved v1=moved"; got != want {
		t.Errorf("a build of the same source time: states %s, want %s (equal wins)", got, want)
	}
}

// TestFinalTagMovedMeanwhile: another publisher moves the final tags after
// this commit read them and before it takes the record. Without force the
// commit fails, naming each tag, from what to what; with force it
// overwrites them and records where they were.
func TestFinalTagMovedMeanwhile(t *testing.T) {
	for _, force := range []bool{false, true} {
		t.Run(map[bool]string{false: "fails", true: "force overwrites"}[force], func(t *testing.T) {
			f := newFixture(t)
			other, otherDigests := f.another(t)
			hold := f.proxy.Hold(http.MethodGet, `/manifests/`+push.RecordTag+`$`)
			type outcome struct {
				results []push.TagResult
				err     error
			}
			done := make(chan outcome)
			go func() {
				r, err := push.Commit(t.Context(), fast(t), f.moves, push.WithForce(force))
				done <- outcome{r, err}
			}()
			<-hold.Reached() // this commit has read every tag
			if _, err := push.Commit(t.Context(), fast(t), other); err != nil {
				t.Fatal(err)
			}
			hold.Release()
			res := <-done
			if !force {
				var conflict *push.ConflictError
				if !errors.As(res.err, &conflict) || len(conflict.Tags) != 2 {
					t.Fatalf("error %v, want a *push.ConflictError with latest and v1", res.err)
				}
				if msg := f.proxied + ":latest: moved by another publisher from (no tag) to " + otherDigests["latest"]; !strings.Contains(res.err.Error(), msg) {
					t.Errorf("error does not say %q:\n%v", msg, res.err)
				}
				if got := testenv.Tags(t, f.repo); got["latest"] != otherDigests["latest"] || got["cache-a"] != otherDigests["cache-a"] {
					t.Errorf("tags %v, want the other publisher's", got)
				}
				return
			}
			if res.err != nil {
				t.Fatal(res.err)
			}
			if got, want := states(res.results), "cache-a=moved cache-b=moved latest=moved v1=moved"; got != want {
				t.Errorf("states %s, want %s", got, want)
			}
			if r := res.results[2]; r.Previous != otherDigests["latest"] || !strings.Contains(r.Note, "overwritten (force)") {
				t.Errorf("forced latest: %+v, want the other publisher's digest as previous and a note", r)
			}
			if got := testenv.Tags(t, f.repo); !reflect.DeepEqual(got, f.digests) {
				t.Errorf("tags %v, want this commit's %v", got, f.digests)
			}
		})
	}
}

// TestCommitWaitsForLivePublisher: a commit that finds another holding the
// record waits for it, then checks the tags against what it read.
func TestCommitWaitsForLivePublisher(t *testing.T) {
	f := newFixture(t)
	release := f.commitHeldAt(t, "latest") // the first holds the record, its caches moved
	other, _ := f.another(t)
	var logged testenv.Notes
	second := make(chan error)
	go func() {
		_, err := push.Commit(t.Context(), fast(t), other, push.WithLogger(logged.Logger()))
		second <- err
	}()
	time.Sleep(2 * time.Second)
	select {
	case err := <-second:
		t.Fatalf("the second commit did not wait for the first: %v", err)
	default:
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	err := <-second
	if !errors.As(err, new(*push.ConflictError)) || !strings.Contains(err.Error(), ":latest: moved by another publisher from (no tag) to "+f.digests["latest"]) {
		t.Errorf("second commit: %v, want a conflict on latest", err)
	}
	if notes := logged.Messages(); len(notes) == 0 || !strings.HasPrefix(notes[0], "waiting for the commit to "+f.repo) {
		t.Errorf("notes %q, want one saying it waits", logged.Messages())
	}
	if got := testenv.Tags(t, f.repo); !reflect.DeepEqual(got, f.digests) {
		t.Errorf("tags %v, want the first commit's %v", got, f.digests)
	}
}

// TestUnchangedCommitTakesNoRecord: publishing what every tag already
// points at moves nothing and leaves the commit record as it was: no lock
// to take, so no wait for it.
func TestUnchangedCommitTakesNoRecord(t *testing.T) {
	f := newFixture(t)
	if _, err := push.Commit(t.Context(), fast(t), f.moves); err != nil {
		t.Fatal(err)
	}
	before := mustGet(t, f.repo+":"+push.RecordTag).Digest
	results, err := push.Commit(t.Context(), fast(t), f.moves)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.State != push.Unchanged {
			t.Errorf("%s: %s, want unchanged", r.Tag, r.State)
		}
	}
	if after := mustGet(t, f.repo+":"+push.RecordTag).Digest; after != before {
		t.Errorf("the commit record moved from %s to %s, though no tag did", before, after)
	}
}
