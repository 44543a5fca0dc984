package push

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cairn-build/cairn/pkg/registry"
)

// RecordTag is the tag of the commit record in each repository a commit
// moves tags in. The record is an OCI artifact, a manifest with the empty
// config and no layers, whose annotations hold it all: the lease (state,
// holder, heartbeat) and the body (the tags the commit moves, each with its
// previous and new digest, and the source time of each cache tag's digest).
// A record write is one manifest put. It stays after a commit, marked done,
// with the ledgers of the cache tags' source times and of every tag's
// input digest.
const RecordTag = "cairn-commit"

// recordState is a record's stage. locked and moving records are held by
// their owner while its heartbeat is fresh; moving, abandoned and stale
// records list tags that may have moved, which the next holder restores.
type recordState string

const (
	stateLocked    recordState = "locked"    // held; no tag moved yet
	stateMoving    recordState = "moving"    // held; the body's tags may have moved
	stateDone      recordState = "done"      // free; every tag is where the commit left it on purpose
	stateAbandoned recordState = "abandoned" // free; the owner gave up with tags left moved
)

// record is a repository's commit record as the registry holds it.
type record struct {
	State     recordState
	Commit    string // the commit whose tags the body lists
	Owner     Owner
	Heartbeat time.Time
	Body      *recordBody
}

// recordBody is a record's body: the tags of its commit and the ledger.
type recordBody struct {
	Version      int         `json:"version"`
	Commit       string      `json:"commit,omitempty"`
	Started      time.Time   `json:"started,omitzero"`
	Repositories []string    `json:"repositories,omitempty"` // every repository the commit moves tags in
	SourceTime   time.Time   `json:"sourceTime,omitzero"`
	Tags         []recordTag `json:"tags,omitempty"` // this repository's tags the commit moves
	Outcome      string      `json:"outcome,omitempty"`
	// Caches are, by cache tag (the part after the colon), the digest a
	// cairn commit last put there and its build's source time.
	Caches map[string]cacheEntry `json:"caches,omitempty"`
	// Inputs are, by tag, the digest a cairn commit last put there and the
	// input digest it was built from (Move.Inputs): what Published reads.
	Inputs map[string]inputEntry `json:"inputs,omitempty"`
}

type recordTag struct {
	Tag      string `json:"tag"` // the part after the colon: the record is the repository's
	Kind     Kind   `json:"kind"`
	Previous string `json:"previous,omitempty"` // "" when the tag did not exist
	Digest   string `json:"digest"`
	State    State  `json:"state,omitempty"` // where the commit left it, once done
}

type inputEntry struct {
	Digest string `json:"digest"`
	Inputs string `json:"inputs"`
}

type cacheEntry struct {
	Digest     string    `json:"digest"`
	SourceTime time.Time `json:"sourceTime"`
}

// live reports whether the record's owner is still at work: it holds the
// record and its heartbeat is fresh, and it has not visibly exited.
func (r *record) live(now time.Time, me Owner, staleAfter time.Duration) bool {
	if r.State != stateLocked && r.State != stateMoving {
		return false
	}
	return now.Sub(r.Heartbeat) < staleAfter && !r.Owner.gone(me)
}

// unfinished reports whether the record lists tags that may have moved.
func (r *record) unfinished() bool { return r.State == stateMoving || r.State == stateAbandoned }

func readRecord(ctx context.Context, reg *registry.Access, tag name.Tag) (*record, error) {
	desc, err := remote.Get(tag, reg.Remote(ctx)...)
	if registry.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read commit record %s: %w", tag, err)
	}
	var m ocispecs.Manifest
	if err := json.Unmarshal(desc.Manifest, &m); err != nil || !registry.IsArtifact(m.ArtifactType, registry.ArtifactCommit) {
		return nil, fmt.Errorf("%s is not a cairn commit record (tag %s is cairn's)", tag, RecordTag)
	}
	get := func(field string) string { return registry.Lookup(m.Annotations, registry.KeyCommit+field) }
	r := &record{State: recordState(get("state")), Commit: get("commit"), Body: &recordBody{}}
	if err := json.Unmarshal([]byte(get("body")), r.Body); err != nil {
		return nil, fmt.Errorf("commit record %s: body: %w", tag, err)
	}
	r.Owner = Owner{ID: get("owner"), Host: get("host"), PIDNamespace: get("pidns")}
	r.Owner.PID, _ = strconv.Atoi(get("pid"))
	r.Heartbeat, _ = time.Parse(time.RFC3339Nano, get("heartbeat"))
	return r, nil
}

func writeRecord(ctx context.Context, reg *registry.Access, tag name.Tag, r record) error {
	body, err := json.Marshal(r.Body)
	if err != nil {
		return err
	}
	annotations := map[string]string{}
	for field, v := range map[string]string{
		"body":      string(body),
		"state":     string(r.State),
		"commit":    r.Commit,
		"owner":     r.Owner.ID,
		"host":      r.Owner.Host,
		"pid":       strconv.Itoa(r.Owner.PID),
		"pidns":     r.Owner.PIDNamespace,
		"heartbeat": r.Heartbeat.UTC().Format(time.RFC3339Nano),
	} {
		annotations[registry.Annotation(registry.KeyCommit+field)] = v
	}
	if _, err := reg.PutArtifact(ctx, tag.Context(), tag.TagStr(), registry.ArtifactType(registry.ArtifactCommit), annotations); err != nil {
		return fmt.Errorf("write commit record %s: %w", tag, err)
	}
	return nil
}
