package chaos_test

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/cairn-build/cairn/internal/chaos"
	"github.com/cairn-build/cairn/internal/testenv"
)

// TestCampaignSmoke runs a short seeded campaign, a smoke of `make chaos`:
// seed 4 draws cairn killed mid-rollback with concurrent publishers, then
// a 500 and a full disk. Two runs keep it under 90 s on a loaded machine.
func TestCampaignSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("runs buildkitd, registries and cairn: not run with -short")
	}
	_, binDir, err := testenv.Paths()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cairn := filepath.Join(dir, "cairn")
	if out, err := exec.Command("go", "build", "-o", cairn, "github.com/cairn-build/cairn/cmd/cairn").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var log bytes.Buffer
	res, err := chaos.Run(t.Context(), chaos.Options{Runs: 2, Seed: 4, Dir: filepath.Join(dir, "state"), BinDir: binDir, Cairn: cairn, Log: &log})
	t.Log("\n" + log.String())
	if err != nil {
		t.Fatal(err)
	}
	var summary bytes.Buffer
	chaos.WriteSummary(&summary, res)
	if len(res.Violations) > 0 || res.Runs != 2 {
		t.Errorf("%d runs, %d violations:\n%s", res.Runs, len(res.Violations), summary.String())
	}
}
