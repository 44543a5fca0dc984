package planner_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/containerd/platforms"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cairn-build/cairn/internal/located"
	"github.com/cairn-build/cairn/pkg/planner"
)

func parsePlatforms(t *testing.T, specs ...string) []ocispecs.Platform {
	t.Helper()
	var out []ocispecs.Platform
	for _, s := range specs {
		out = append(out, mustPlatform(t, s))
	}
	return out
}

// TestMultiPlatform plans several target platforms at once: one plan when
// their stage graphs agree, else an error naming both platforms and the
// first stage that differs.
func TestMultiPlatform(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		platforms []string
		build     string
		stages    string   // Plan.Stages when they agree
		recorded  []string // Plan.Platforms
		wantErr   string   // the whole message when they do not
	}{
		{
			name: "agree: OS picks the same stages on every linux", file: "platforms/os-select.Dockerfile",
			platforms: []string{"linux/amd64", "linux/arm64", "linux/arm"}, build: "linux/amd64",
			stages: "build runtime-linux release", recorded: []string{"linux/amd64", "linux/arm64", "linux/arm/v7"},
		},
		{
			name: "agree: cross-compiling go service", file: "go-service.Dockerfile",
			platforms: []string{"linux/arm64", "linux/amd64"},
			stages:    "deps builder runtime", recorded: []string{"linux/arm64", "linux/amd64"},
		},
		{
			name: "repeats are planned once", file: "platforms/arch-select.Dockerfile",
			platforms: []string{"linux/arm64", "linux/arm64/v8"},
			stages:    "base-arm64 final", recorded: []string{"linux/arm64"},
		},
		{
			name: "differ: base per architecture", file: "platforms/arch-select.Dockerfile",
			platforms: []string{"linux/amd64", "linux/arm64"},
			wantErr:   `Dockerfile:3: platforms linux/amd64 and linux/arm64 need different stages: stage "base-amd64" is needed on linux/amd64, not on linux/arm64 (cairn builds one stage graph for every platform: build these platforms separately)`,
		},
		{
			name: "differ: the second platform needs a stage the first does not", file: "platforms/variant-select.Dockerfile",
			platforms: []string{"linux/arm64", "linux/arm/v6"},
			wantErr:   `Dockerfile:10: platforms linux/arm64 and linux/arm/v6 need different stages: stage "tool-arm64" is needed on linux/arm64, not on linux/arm/v6 (cairn builds one stage graph for every platform: build these platforms separately)`,
		},
		{
			name: "differ: OS", file: "platforms/os-select.Dockerfile",
			platforms: []string{"linux/amd64", "windows/amd64"},
			wantErr:   `Dockerfile:13: platforms linux/amd64 and windows/amd64 need different stages: stage "runtime-linux" is needed on linux/amd64, not on windows/amd64 (cairn builds one stage graph for every platform: build these platforms separately)`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := planner.Options{Platforms: parsePlatforms(t, tc.platforms...)}
			if tc.build != "" {
				opts.BuildPlatform = mustPlatform(t, tc.build)
			}
			p, err := planner.New(readTestdata(t, tc.file), opts)
			if tc.wantErr != "" {
				var le *located.Error
				if err == nil || err.Error() != tc.wantErr || !errors.As(err, &le) {
					t.Fatalf("error %v, want *located.Error %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := stageNames(p); got != tc.stages {
				t.Errorf("stages %q, want %q", got, tc.stages)
			}
			if !slices.Equal(p.Platforms, tc.recorded) {
				t.Errorf("platforms %q, want %q", p.Platforms, tc.recorded)
			}
		})
	}
}

// TestDependsDiffer: the same stages, wired differently per platform.
func TestDependsDiffer(t *testing.T) {
	df := "FROM alpine AS amd64\nFROM alpine AS arm64\nFROM ${TARGETARCH} AS c\nRUN true\n" +
		"FROM alpine AS final\nCOPY --from=amd64 / /x\nCOPY --from=arm64 / /y\nCOPY --from=c / /c\n"
	_, err := planner.New([]byte(df), planner.Options{Platforms: parsePlatforms(t, "linux/amd64", "linux/arm64")})
	want := `Dockerfile:3: platforms linux/amd64 and linux/arm64 need different stage graphs: stage "c" depends on [amd64] on linux/amd64, on [arm64] on linux/arm64 (cairn builds one stage graph for every platform: build these platforms separately)`
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
	// Each platform alone plans.
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		if _, err := planner.New([]byte(df), planner.Options{Platforms: parsePlatforms(t, p)}); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// TestPlatformErrorNamesPlatform: a platform that cannot be planned is
// named when there are several.
func TestPlatformErrorNamesPlatform(t *testing.T) {
	df := []byte("FROM alpine${TARGETVARIANT:+:}${TARGETVARIANT} AS a\nFROM ${TARGETVARIANT}\nCOPY --from=a / /\n")
	_, err := planner.New(df, planner.Options{Platforms: parsePlatforms(t, "linux/arm/v7", "linux/amd64")})
	want := "Dockerfile:2: platform linux/amd64: base name (${TARGETVARIANT}) should not be blank"
	var perr *planner.Error
	if err == nil || err.Error() != want || !errors.As(err, &perr) {
		t.Fatalf("error %v, want *planner.Error %q", err, want)
	}
	_, err = planner.New(df, planner.Options{Platforms: parsePlatforms(t, "linux/amd64")})
	if want := "Dockerfile:2: base name (${TARGETVARIANT}) should not be blank"; err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
}

// TestPlatformDefaults checks the platform ARGs as a stage's --platform
// shows them, for the zero values Options documents.
func TestPlatformDefaults(t *testing.T) {
	df := []byte("FROM --platform=$BUILDPLATFORM alpine AS build\nRUN true\nFROM --platform=$TARGETPLATFORM alpine AS final\nCOPY --from=build / /\n")
	arm64, armv7 := mustPlatform(t, "linux/arm64"), mustPlatform(t, "linux/arm")
	win := ocispecs.Platform{OS: "windows", Architecture: "amd64", OSVersion: "10.0.20348.1"}
	tests := []struct {
		name            string
		targets         []ocispecs.Platform
		build           ocispecs.Platform
		build2, target2 string // the stages' --platform
		recorded        []string
	}{
		{"none: linux/amd64", nil, ocispecs.Platform{}, "linux/amd64", "linux/amd64", nil},
		{"target only: builds on it", []ocispecs.Platform{armv7}, ocispecs.Platform{}, "linux/arm/v7", "linux/arm/v7", []string{"linux/arm/v7"}},
		{"build only: targets it", nil, arm64, "linux/arm64", "linux/arm64", []string{"linux/arm64"}},
		{"cross", []ocispecs.Platform{armv7}, arm64, "linux/arm64", "linux/arm/v7", []string{"linux/arm/v7"}},
		{"TARGETPLATFORM keeps the OS version, BUILDPLATFORM does not", []ocispecs.Platform{win}, win, "windows/amd64", "windows(10.0.20348.1)/amd64", []string{"windows(10.0.20348.1)/amd64"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := planner.New(df, planner.Options{Platforms: tc.targets, BuildPlatform: tc.build})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := p.Stage("build")
			f, _ := p.Stage("final")
			if b.Platform != tc.build2 || f.Platform != tc.target2 {
				t.Errorf("--platform: build %q, final %q; want %q, %q", b.Platform, f.Platform, tc.build2, tc.target2)
			}
			if !slices.Equal(p.Platforms, tc.recorded) {
				t.Errorf("platforms %q, want %q", p.Platforms, tc.recorded)
			}
		})
	}
	if got := platforms.FormatAll(win); got != "windows(10.0.20348.1)/amd64" {
		t.Fatalf("FormatAll = %q: the case above assumes otherwise", got)
	}
}

// stageNames lists the plan's stages, space-separated.
func stageNames(p *planner.Plan) string {
	names := make([]string, len(p.Stages))
	for i, s := range p.Stages {
		names[i] = s.Name
	}
	return strings.Join(names, " ")
}
