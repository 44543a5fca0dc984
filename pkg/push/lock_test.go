package push_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/push"
)

func refs(moves []push.Move) []string {
	var out []string
	for _, m := range moves {
		out = append(out, m.Tag)
	}
	return out
}

// lock is a lock on the fixture's repository, taken.
func (f *fixture) lock(t *testing.T) *push.Lock {
	t.Helper()
	lock := push.TakeLock(t.Context(), fast(t), refs(f.moves))
	if err := lock.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	return lock
}

// TestLockHoldsTheRecordsForItsCommit: a lock taken ahead of the commit
// holds the record: another publisher that reads the tags meanwhile waits,
// the commit with the lock publishes, and the other then finds the final
// tags moved since it started.
func TestLockHoldsTheRecordsForItsCommit(t *testing.T) {
	f := newFixture(t)
	lock := f.lock(t)
	other, _ := f.another(t)
	second := make(chan error)
	go func() {
		_, err := push.Commit(t.Context(), fast(t), other)
		second <- err
	}()
	time.Sleep(time.Second) // the other reads the tags, then waits for the record
	results, err := push.Commit(t.Context(), fast(t), f.moves, push.WithLock(lock))
	if err != nil {
		t.Fatal(err)
	}
	expectStates(t, results, "cache-a=moved cache-b=moved latest=moved v1=moved")
	if err := <-second; !errors.As(err, new(*push.ConflictError)) {
		t.Errorf("the other commit: %v, want a conflict", err)
	}
	if got := testenv.Tags(t, f.repo); !reflect.DeepEqual(got, f.digests) {
		t.Errorf("tags %v, want the locked commit's %v", got, f.digests)
	}
	if state, _ := commitRecord(t, f.repo); state != "done" {
		t.Errorf("record %s, want done", state)
	}
}

// TestFinalTagMovedSinceTheLock: a final tag moved after the lock read the
// tags, by a publisher that takes no record, is a conflict for the commit
// that uses the lock, as one moved since the commit's start.
func TestFinalTagMovedSinceTheLock(t *testing.T) {
	f := newFixture(t)
	lock := f.lock(t)
	latest, err := name.NewTag(f.repo + ":latest")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Tag(latest, mustGet(t, f.repo+"@"+f.old)); err != nil {
		t.Fatal(err)
	}
	_, err = push.Commit(t.Context(), fast(t), f.moves, push.WithLock(lock))
	if !errors.As(err, new(*push.ConflictError)) || !strings.Contains(err.Error(), ":latest: moved by another publisher from (no tag) to "+f.old) {
		t.Fatalf("commit: %v, want a conflict on latest", err)
	}
	if got := testenv.Tags(t, f.repo); got["latest"] != f.old || got["cache-a"] != f.before["cache-a"] || got["v1"] != "" {
		t.Errorf("tags %v, want latest where the other put it and nothing moved", got)
	}
}

// TestReleasedLockFreesTheRecord: a lock no commit used is freed, and one
// taken on other repositories is freed by the commit, which takes its own.
func TestReleasedLockFreesTheRecord(t *testing.T) {
	f := newFixture(t)
	lock := f.lock(t)
	lock.Release(t.Context())
	lock.Release(t.Context()) // once is enough
	if state, _ := commitRecord(t, f.repo); state != "done" {
		t.Errorf("record %s after the release, want done", state)
	}

	elsewhere := newFixture(t)
	lock = push.TakeLock(t.Context(), fast(t), refs(elsewhere.moves))
	// A live holder would make this wait a minute, past the test's deadline.
	wait := push.WithLease(push.Lease{StaleAfter: time.Hour})
	if _, err := push.Commit(t.Context(), fast(t), f.moves, push.WithLock(lock), wait); err != nil {
		t.Fatal(err)
	}
	if _, err := push.Commit(t.Context(), fast(t), elsewhere.moves, wait); err != nil {
		t.Fatal(err)
	}
	if got := testenv.Tags(t, f.repo); !reflect.DeepEqual(got, f.digests) {
		t.Errorf("tags %v, want %v", got, f.digests)
	}
}
