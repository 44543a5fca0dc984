package cairn_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-build/cairn/pkg/cairn"
)

// TestLoadPathConfig: with PATH, the build is described by -c, else PATH's
// build.yaml, else none, never by the current directory's build.yaml.
func TestLoadPathConfig(t *testing.T) {
	cwd := t.TempDir()
	write(t, cwd, "Dockerfile", "FROM busybox:1.36 AS cwdonly\n")
	write(t, cwd, "build.yaml", "version: 1\nrepository: reg.example.com/other\ntargets:\n  cwdonly: {}\n")
	bare := t.TempDir() // a Dockerfile, no build.yaml
	write(t, bare, "Dockerfile", "FROM busybox:1.36 AS test\nFROM busybox:1.36 AS runtime\n")
	own := t.TempDir() // a Dockerfile and its build.yaml
	write(t, own, "Dockerfile", "FROM busybox:1.36 AS test\nFROM busybox:1.36 AS runtime\n")
	write(t, own, "build.yaml", "version: 1\nrepository: reg.example.com/own\ntargets:\n  test: {}\n")
	ci := t.TempDir() // -c's build.yaml, its Dockerfile beside it
	explicit := filepath.Join(ci, "ci.yaml")
	write(t, ci, "ci.yaml", "version: 1\nrepository: reg.example.com/explicit\ntargets:\n  runtime: {}\n")
	write(t, ci, "Dockerfile", "FROM busybox:1.36 AS test\nFROM busybox:1.36 AS runtime\n")
	t.Chdir(cwd)

	tests := []struct {
		name             string
		opts             cairn.LoadOptions
		repo, targets    string
		dockerfile, from string
	}{
		{"PATH without build.yaml", cairn.LoadOptions{Path: bare}, "", "runtime", filepath.Join(bare, "Dockerfile"), bare},
		{"PATH with build.yaml", cairn.LoadOptions{Path: own}, "reg.example.com/own", "test", filepath.Join(own, "Dockerfile"), own},
		{"PATH and -c", cairn.LoadOptions{Path: bare, Config: explicit}, "reg.example.com/explicit", "runtime", "", bare},
		{"no PATH", cairn.LoadOptions{}, "reg.example.com/other", "cwdonly", "", "."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.Env = func(string) (string, bool) { return "", false }
			opts.SourceDateEpoch = cairn.EpochOff
			p, err := cairn.Load(t.Context(), opts)
			if err != nil {
				t.Fatal(err)
			}
			var targets []string
			for _, tg := range p.Plan.Targets {
				targets = append(targets, tg.Name)
			}
			if p.Config.Repository != tt.repo || strings.Join(targets, ",") != tt.targets {
				t.Errorf("repository %q, targets %v; want %q, %s", p.Config.Repository, targets, tt.repo, tt.targets)
			}
			if tt.dockerfile != "" && p.Config.Dockerfile != tt.dockerfile {
				t.Errorf("Dockerfile %s, want %s", p.Config.Dockerfile, tt.dockerfile)
			}
			if p.Config.Context != tt.from {
				t.Errorf("context %s, want %s", p.Config.Context, tt.from)
			}
		})
	}
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
