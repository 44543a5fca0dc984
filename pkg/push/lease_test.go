package push_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/push"
	"github.com/cairn-build/cairn/pkg/registry"
)

// TestRecordTakenDuringCommitStopsBeforeFinals: another publisher's
// record write lands while the commit moves its caches, as a write later
// than the settle does (a second holder). The commit reads its record
// before its final tags, finds it taken, and moves no final tag.
func TestRecordTakenDuringCommitStopsBeforeFinals(t *testing.T) {
	f := newFixture(t)
	release := f.commitHeldAt(t, "cache-b")
	takeRecord(t, f.repo)
	err := release()
	var cerr *push.CommitError
	if !errors.As(err, &cerr) || !cerr.RolledBack || !strings.HasPrefix(err.Error(), "publish failed; every moved tag was put back (another publisher took this commit's record over)\n") {
		t.Fatalf("commit: %v, want it rolled back, the record taken over", err)
	}
	if after := testenv.Tags(t, f.repo); after["latest"] != "" || after["v1"] != "" || after["cache-a"] != f.before["cache-a"] {
		t.Errorf("tags %v, want no final tag and cache-a back at %s", after, f.before["cache-a"])
	}
}

// takeRecord rewrites the repository's commit record as another
// publisher's.
func takeRecord(t *testing.T, repo string) {
	t.Helper()
	desc := mustGet(t, repo+":"+push.RecordTag)
	var m map[string]any
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	m["annotations"].(map[string]any)[registry.Annotation(registry.KeyCommit+"owner")] = "another-publisher"
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(repo + ":" + push.RecordTag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(tag, raw(data)); err != nil {
		t.Fatal(err)
	}
}

type raw []byte

func (r raw) RawManifest() ([]byte, error)        { return r, nil }
func (r raw) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
