package cairn_test

import (
	"errors"
	"testing"

	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/cairn"
)

// TestSkippedPublishConnectsNoPool: through the library, a publish of the
// published inputs on a Pool of a daemon that is not there succeeds
// without connecting it, reports every target skipped at its published
// digest, and moves nothing; with NoSkip it connects, and fails there.
func TestSkippedPublishConnectsNoPool(t *testing.T) {
	dir, base, other := freshProject(t, "inline")
	testenv.PushBase(t, base, "v1")
	testenv.PushBase(t, other, "other")
	repo := testenv.Repo(t)
	if _, err := run(t, load(t, dir, repo, nil), cairn.RunOptions{Push: true}); err != nil {
		t.Fatalf("first publish: %v", err)
	}
	before := testenv.Tags(t, repo)
	pool := cairn.NewPool([]cairn.DaemonOptions{{Addr: "unix:///nonexistent/buildkitd.sock"}})
	defer pool.Close()
	report, err := pool.Run(t.Context(), load(t, dir, repo, nil), cairn.RunOptions{Push: true})
	if err != nil {
		t.Fatalf("unchanged publish: %v", err)
	}
	if len(report.Targets) != 1 || report.Targets[0].Skipped != cairn.SkippedUnchanged || report.Targets[0].Digest != before["v1"] || report.Inputs == "" {
		t.Errorf("report targets %+v (inputs %q), want app skipped at %s", report.Targets, report.Inputs, before["v1"])
	}
	testenv.WantTags(t, repo, before, "tags moved")
	_, err = pool.Run(t.Context(), load(t, dir, repo, nil), cairn.RunOptions{Push: true, NoSkip: true})
	if !errors.As(err, new(*cairn.DaemonError)) || !errors.Is(err, cairn.ErrNothingPublished) {
		t.Errorf("NoSkip: %v, want the daemon's error, nothing published", err)
	}
}
