package push

import (
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"

	"github.com/cairn-build/cairn/pkg/registry"
)

func TestRecordLive(t *testing.T) {
	me := newOwner()
	if me.PIDNamespace == "" {
		t.Fatal("no pid namespace on Linux: the dead-owner rule cannot be tested")
	}
	exited := exec.Command("true")
	if err := exited.Run(); err != nil {
		t.Fatal(err)
	}
	other := newOwner() // another call of this process: alive
	dead := me
	dead.ID, dead.PID = "dead", exited.Process.Pid
	elsewhere := dead
	elsewhere.PIDNamespace = "another-machine/pid:[1]"
	now := time.Now()
	tests := []struct {
		name  string
		state recordState
		owner Owner
		age   time.Duration
		live  bool
	}{
		{"fresh moving", stateMoving, other, time.Second, true},
		{"fresh locked", stateLocked, other, time.Second, true},
		{"stale moving", stateMoving, other, 2 * time.Minute, false},
		{"done", stateDone, other, time.Second, false},
		{"abandoned", stateAbandoned, other, time.Second, false},
		{"fresh, its process exited", stateMoving, dead, time.Second, false},
		{"fresh, pid of another namespace", stateMoving, elsewhere, time.Second, true},
		{"stale, pid of another namespace", stateMoving, elsewhere, 2 * time.Minute, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &record{State: tt.state, Owner: tt.owner, Heartbeat: now.Add(-tt.age)}
			if got := r.live(now, me, time.Minute); got != tt.live {
				t.Errorf("live = %v, want %v", got, tt.live)
			}
		})
	}
}

// TestRecordWrittenTheOldWayIsRead: a record an older cairn wrote, under
// its org.cairn-build.commit.* annotations, reads as the same record this
// cairn writes under its namespace.
func TestRecordWrittenTheOldWayIsRead(t *testing.T) {
	ctx := t.Context()
	reg, err := registry.New()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	repo, err := name.NewRepository(strings.TrimPrefix(srv.URL, "http://")+"/app", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.WriteEmptyBlob(ctx, repo); err != nil {
		t.Fatal(err)
	}
	beat := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	want := record{State: stateAbandoned, Commit: "c1", Owner: Owner{ID: "o1", Host: "h", PID: 42, PIDNamespace: "pid:[1]"}, Heartbeat: beat,
		Body: &recordBody{Version: 1, Commit: "c1", Tags: []recordTag{{Tag: "v1", Kind: KindFinal, Previous: "sha256:a", Digest: "sha256:b"}}}}
	body, err := json.Marshal(want.Body)
	if err != nil {
		t.Fatal(err)
	}
	old := map[string]string{
		"org.cairn-build.commit.body": string(body), "org.cairn-build.commit.state": string(want.State),
		"org.cairn-build.commit.commit": want.Commit, "org.cairn-build.commit.owner": want.Owner.ID,
		"org.cairn-build.commit.host": want.Owner.Host, "org.cairn-build.commit.pid": "42",
		"org.cairn-build.commit.pidns": want.Owner.PIDNamespace, "org.cairn-build.commit.heartbeat": beat.Format(time.RFC3339Nano),
	}
	for _, tt := range []struct {
		name string
		tag  string
		put  func(tag name.Tag) error
	}{
		{"written the old way", "old", func(tag name.Tag) error {
			_, err := reg.PutArtifact(ctx, repo, tag.TagStr(), "application/vnd.cairn-build.commit.v1", old)
			return err
		}},
		{"written now", "new", func(tag name.Tag) error { return writeRecord(ctx, reg, tag, want) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tag := repo.Tag(tt.tag)
			if err := tt.put(tag); err != nil {
				t.Fatal(err)
			}
			got, err := readRecord(ctx, reg, tag)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("read %+v (body %+v), want %+v (body %+v)", *got, got.Body, want, want.Body)
			}
		})
	}
}
