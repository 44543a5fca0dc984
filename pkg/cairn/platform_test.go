package cairn_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/config"
)

// perArch selects its base stage by ${TARGETARCH}, as multi-arch
// Dockerfiles do. No RUN: an arm64 build needs no emulator on this host.
const perArch = `FROM scratch AS base-amd64
COPY amd64.txt /arch
FROM scratch AS base-arm64
COPY arm64.txt /arch
FROM base-${TARGETARCH} AS final
COPY marker /marker
`

// TestBuildSolvesThePlatformsStages: cairn solves and caches the stages
// BuildKit builds for the platform, not linux/amd64's.
func TestBuildSolvesThePlatformsStages(t *testing.T) {
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{"Dockerfile": perArch, "amd64.txt": "amd64\n", "arm64.txt": "arm64\n", "marker": "m\n"})
	tests := []struct {
		platforms []string // --platform
		daemon    string   // the platform the daemon's worker lists first
		want      []string
		arch      string
	}{
		{nil, "", []string{"base-amd64", "final"}, "amd64"}, // this machine's platform
		{[]string{"linux/arm64"}, "", []string{"base-arm64", "final"}, "arm64"},
		// No --platform: BuildKit builds for the worker's platform, and so
		// does cairn's plan, whatever machine cairn runs on.
		{nil, "linux/arm64", []string{"base-arm64", "final"}, "arm64"},
	}
	for _, tt := range tests {
		repo := testenv.Repo(t)
		p, err := cairn.Load(t.Context(), cairn.LoadOptions{
			Overrides: config.Overrides{Dockerfile: filepath.Join(dir, "Dockerfile"), Context: dir, Repository: repo, Platforms: tt.platforms},
		})
		if err != nil {
			t.Fatal(err)
		}
		var daemon []testenv.DaemonOption
		if tt.daemon != "" {
			daemon = append(daemon, testenv.Platforms(tt.daemon))
		}
		report, err := runOn(t, testenv.NewDaemon(t, daemon...).Addr, p, cairn.RunOptions{Push: true})
		if err != nil {
			t.Fatalf("%v: %v", tt.platforms, err)
		}
		var built []string
		for _, s := range report.Stages {
			if s.Digest != "" {
				built = append(built, s.Name)
			}
		}
		if !slices.Equal(built, tt.want) {
			t.Errorf("%v: built %v, want %v", tt.platforms, built, tt.want)
		}
		arch := tt.arch
		if cf := imageConfig(t, repo+":cache-final"); cf.Architecture != arch {
			t.Errorf("%v: final image is %s/%s, want %s", tt.platforms, cf.OS, cf.Architecture, arch)
		}
		if want := []string{"linux/" + arch}; !slices.Equal(report.Platforms, want) {
			t.Errorf("report platforms %v, want %v", report.Platforms, want)
		}
	}
}
