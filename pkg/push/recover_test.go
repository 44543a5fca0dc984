package push_test

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/push"
)

// TestRecoverAbandonedCommit: a commit whose roll back fails leaves its
// record abandoned, and Recover puts the tag it left moved back.
func TestRecoverAbandonedCommit(t *testing.T) {
	f := newFixture(t)
	f.proxy.Fail(http.MethodPut, `/manifests/v1$`, http.StatusInternalServerError, -1)
	f.proxy.FailAfter(http.MethodPut, `/manifests/cache-a$`, 1, http.StatusInternalServerError, -1)
	if _, err := push.Commit(t.Context(), fast(t), f.moves); !errors.As(err, new(*push.CommitError)) {
		t.Fatalf("error %v, want a *push.CommitError", err)
	}
	if state, _ := commitRecord(t, f.repo); state != "abandoned" {
		t.Fatalf("record state %q after a failed roll back, want abandoned", state)
	}
	f.proxy.Heal()
	var logged testenv.Notes
	found, err := push.Recover(t.Context(), fast(t), []string{f.proxied + ":latest"}, push.WithLogger(logged.Logger()))
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[0].Live {
		t.Fatalf("recoveries %+v, want one", found)
	}
	if got, want := states(found[0].Tags), "cache-a=rolled-back cache-b=pending latest=pending v1=pending"; got != want {
		t.Errorf("recovered states %s, want %s", got, want)
	}
	msg := found[0].String()
	if !strings.HasPrefix(msg, "rolled back the unfinished commit to "+f.proxied) || !strings.Contains(msg, ":cache-a: restored to "+f.old) {
		t.Errorf("recovery says:\n%s", msg)
	}
	if notes := logged.Messages(); len(notes) != 1 {
		t.Errorf("notes %q, want one", notes)
	}
	if after := testenv.Tags(t, f.repo); !reflect.DeepEqual(after, f.before) {
		t.Errorf("tags after recovery %v, want them as before %v", after, f.before)
	}
	if state, body := commitRecord(t, f.repo); state != "done" || body["outcome"] != "recovered" {
		t.Errorf("record after recovery: %q, %v; want done, recovered", state, body["outcome"])
	}
	if again, err := push.Recover(t.Context(), fast(t), []string{f.proxied}); err != nil || len(again) != 0 {
		t.Errorf("second recovery: %+v, %v; want nothing found", again, err)
	}
}

// TestRecoverLeavesLivePublisher: a record whose publisher is still at work
// (its heartbeat fresh, its process running) is not rolled back.
func TestRecoverLeavesLivePublisher(t *testing.T) {
	f := newFixture(t)
	release := f.commitHeldAt(t, "latest")
	found, err := push.Recover(t.Context(), fast(t), []string{f.repo})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || !found[0].Live || !strings.Contains(found[0].String(), "is in progress") {
		t.Errorf("recoveries %+v, want the live commit reported", found)
	}
	if got := mustGet(t, f.repo+":cache-a").Digest.String(); got != f.digests["cache-a"] {
		t.Errorf("the live commit's cache-a was put back at %s", got)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	if got := testenv.Tags(t, f.repo); !reflect.DeepEqual(got, f.digests) {
		t.Errorf("tags %v, want the commit's %v", got, f.digests)
	}
}

// TestMultiTagPut: where the registry takes the multi-tag put, a
// repository's final tags of one manifest move in one request: per-tag
// puts, which fail here, are not made.
func TestMultiTagPut(t *testing.T) {
	f := newFixture(t)
	f.proxy.EmulateMultiTag()
	f.proxy.Fail(http.MethodPut, `/manifests/(latest|v1)$`, http.StatusInternalServerError, -1)
	results, err := push.Commit(t.Context(), fast(t), f.moves)
	if err != nil {
		t.Fatal(err)
	}
	f.expect(t, results, "cache-a=moved cache-b=moved latest=moved v1=moved", f.digests)
}

// TestMultiTagPutFallsBack: a registry that refuses the multi-tag put gets
// one put per tag.
func TestMultiTagPutFallsBack(t *testing.T) {
	f := newFixture(t)
	f.proxy.EmulateMultiTag()
	f.proxy.Fail(http.MethodPut, `/manifests/sha256:[0-9a-f]{64}\?tag=`, http.StatusBadRequest, -1)
	results, err := push.Commit(t.Context(), fast(t), f.moves)
	if err != nil {
		t.Fatal(err)
	}
	f.expect(t, results, "cache-a=moved cache-b=moved latest=moved v1=moved", f.digests)
}
