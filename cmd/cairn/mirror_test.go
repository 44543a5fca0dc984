package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-build/cairn/internal/testenv"
)

// TestRegistryMirrorServesBases: the test daemon pulls docker.io from the
// test registry (its buildkitd.toml mirrors); with --registry-mirror naming
// that registry, cairn resolves the base there too, and records the digest
// the daemon built on instead of a note that docker.io cannot be reached.
func TestRegistryMirrorServesBases(t *testing.T) {
	env := testenv.Get(t)
	dir := testenv.WriteDir(t, map[string]string{"Dockerfile": "FROM busybox:1.36\nRUN echo mirrored > /m\n"})
	metadata := filepath.Join(t.TempDir(), "m.json")
	code, _, stderr := runCLI(t, dir, "build", "--addr", env.BuildkitHost, "--repository", testenv.Repo(t),
		"--registry-mirror", "docker.io="+env.Registry, "--metadata-file", metadata)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(stderr, "not checked") || strings.Contains(stderr, "index.docker.io") {
		t.Errorf("the base was not resolved through the mirror:\n%s", stderr)
	}
	data, err := os.ReadFile(metadata)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Stages []struct {
			Base struct {
				Ref     string
				Digests map[string]string
				Error   string
			}
		}
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	want := testenv.Image(t, env.Registry+"/library/busybox:1.36")
	d, err := want.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Stages) != 1 {
		t.Fatalf("stages = %+v", m.Stages)
	}
	base := m.Stages[0].Base
	found := false
	for _, got := range base.Digests {
		found = found || got == d.String()
	}
	if base.Error != "" || !found {
		t.Errorf("base = %+v, want the mirror's busybox:1.36 (%s or its index)", base, d)
	}
}
