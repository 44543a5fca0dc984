package push_test

import (
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cairn-build/cairn/pkg/push"
)

// withInputs are moves with input digests: caches the project's, finals the target's.
func withInputs(moves []push.Move, project, target string) []push.Move {
	out := make([]push.Move, len(moves))
	for i, m := range moves {
		m.Inputs = project
		if m.Kind == push.KindFinal {
			m.Inputs = target
		}
		out[i] = m
	}
	return out
}

// planned are moves as a publish that has not built knows them: no digest.
func planned(moves []push.Move) []push.Move {
	out := make([]push.Move, len(moves))
	for i, m := range moves {
		m.Digest = ""
		out[i] = m
	}
	return out
}

// TestPublished: after a commit with inputs, Published finds every tag
// there for the same inputs; other inputs, a move without inputs, a tag
// moved by someone else or a tag never committed are not published.
func TestPublished(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t)
	moves := withInputs(f.moves, "sha256:p1", "sha256:t1")
	if published, ok, err := push.Published(ctx, fast(t), planned(moves)); ok || err != nil || published != nil {
		t.Fatalf("before any commit: %v, %v, %v; want not published", published, ok, err)
	}
	if _, err := push.Commit(ctx, fast(t), moves); err != nil {
		t.Fatal(err)
	}
	results, ok, err := push.Published(ctx, fast(t), planned(moves))
	if err != nil || !ok {
		t.Fatalf("after the commit: %v, %v; want published", ok, err)
	}
	expectStates(t, results, "latest=unchanged cache-a=unchanged v1=unchanged cache-b=unchanged")
	for _, r := range results {
		if tag, _ := name.NewTag(r.Tag); r.Digest != f.digests[tag.TagStr()] || r.Previous != r.Digest {
			t.Errorf("%s: %s → %s, want unchanged at %s", r.Tag, r.Previous, r.Digest, f.digests[tag.TagStr()])
		}
	}

	tests := []struct {
		name  string
		moves []push.Move
	}{
		{"other inputs of a target", withInputs(f.moves, "sha256:p1", "sha256:t2")},
		{"other inputs of the project", withInputs(f.moves, "sha256:p2", "sha256:t1")},
		{"a move without inputs", append(planned(moves), push.Move{Tag: f.proxied + ":v1", Kind: push.KindFinal})},
		{"a tag never committed", append(planned(moves), push.Move{Tag: f.proxied + ":v2", Kind: push.KindFinal, Inputs: "sha256:t1"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok, err := push.Published(ctx, fast(t), planned(tt.moves)); ok || err != nil {
				t.Errorf("%v, %v; want not published", ok, err)
			}
		})
	}

	// Someone else moves v1 (crane tag, a script): the publish must build.
	v1, err := name.NewTag(f.repo + ":v1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Tag(v1, mustGet(t, f.repo+"@"+f.digests["cache-a"])); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := push.Published(ctx, fast(t), planned(moves)); ok || err != nil {
		t.Errorf("v1 moved by someone else: %v, %v; want not published", ok, err)
	}
}

// TestUnchangedCommitRecordsNewInputs: a commit of other inputs that
// made the same images moves no tag but records the inputs, so the next
// publish of them has nothing to build; the same inputs again write no
// record.
func TestUnchangedCommitRecordsNewInputs(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t)
	if _, err := push.Commit(ctx, fast(t), withInputs(f.moves, "sha256:p1", "sha256:t1")); err != nil {
		t.Fatal(err)
	}
	edited := withInputs(f.moves, "sha256:p2", "sha256:t2")
	results, err := push.Commit(ctx, fast(t), edited, push.WithLease(push.Lease{Settle: 10 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	expectStates(t, results, "cache-a=unchanged cache-b=unchanged latest=unchanged v1=unchanged")
	if _, ok, err := push.Published(ctx, fast(t), planned(edited)); !ok || err != nil {
		t.Errorf("after the unchanged commit of new inputs: %v, %v; want them published", ok, err)
	}
	before := mustGet(t, f.repo+":"+push.RecordTag).Digest
	if _, err := push.Commit(ctx, fast(t), edited); err != nil {
		t.Fatal(err)
	}
	if after := mustGet(t, f.repo+":"+push.RecordTag).Digest; after != before {
		t.Errorf("the same inputs again moved the commit record from %s to %s", before, after)
	}
}
