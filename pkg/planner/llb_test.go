package planner_test

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerui"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cairn-build/cairn/pkg/planner"
)

// fakeResolver answers every image lookup with a one-layer linux/amd64
// config, so conversion never touches the network. The layer matters:
// BuildKit turns an image without layers into scratch, which has no FROM
// vertex to find.
type fakeResolver struct{}

func (fakeResolver) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	const cfg = `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:` +
		"0000000000000000000000000000000000000000000000000000000000000000" + `"]}}`
	return ref, "", []byte(cfg), nil
}

// convert runs BuildKit's own Dockerfile conversion for target ("" for the
// default) on and for linux/amd64, and returns the stages whose vertices
// the LLB contains.
func convert(t *testing.T, dt []byte, target string, args map[string]string) (map[string]bool, error) {
	t.Helper()
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	return convertFor(t, dt, target, args, amd64, amd64)
}

// convertFor is convert for the target platform tp built on bp, passed as
// BuildKit's dockerui passes them: --platform as ConvertOpt.TargetPlatform,
// the worker's platform as the first of Config.BuildPlatforms.
func convertFor(t *testing.T, dt []byte, target string, args map[string]string, tp, bp ocispecs.Platform) (map[string]bool, error) {
	t.Helper()
	def, stageOf, err := toLLB(t, dt, target, args, tp, bp)
	if err != nil {
		return nil, err
	}
	stages := map[string]bool{}
	for _, m := range def.Metadata {
		if s, ok := stageOf(m); ok {
			stages[s] = true
		}
	}
	return stages, nil
}

// toLLB is BuildKit's conversion of the Dockerfile, marshalled, and what
// names the planner's stage of a vertex by its metadata. The error is the
// conversion's.
func toLLB(t *testing.T, dt []byte, target string, args map[string]string, tp, bp ocispecs.Platform) (*llb.Definition, func(llb.OpMetadata) (string, bool), error) {
	t.Helper()
	ctx := t.Context()
	res, err := dockerfile2llb.Dockerfile2LLB(ctx, dt, dockerfile2llb.ConvertOpt{
		Config: dockerui.Config{
			Target:         target,
			BuildArgs:      maps.Clone(args),
			BuildPlatforms: []ocispecs.Platform{bp},
			// dockerui's Config.init reads the namespace from this build arg.
			CacheIDNamespace: args["BUILDKIT_CACHE_MOUNT_NS"],
		},
		TargetPlatform: &tp,
		MetaResolver:   fakeResolver{},
	})
	if err != nil {
		return nil, nil, err
	}
	def, err := res.State.Marshal(ctx)
	if err != nil {
		t.Fatalf("marshal LLB: %v", err)
	}
	targets, err := dockerfile2llb.ListTargets(ctx, dt)
	if err != nil {
		t.Fatalf("list targets: %v", err)
	}
	return def, func(m llb.OpMetadata) (string, bool) {
		return vertexStage(m.Description["llb.customname"], len(targets.Targets))
	}, nil
}

// vertexStage maps a vertex name such as "[builder 2/4] RUN ..." or
// "[stage-1 1/3] FROM ..." to the planner's stage name ("builder", "1").
// A single-stage Dockerfile has no stage in its names ("[1/2] RUN ...");
// images pulled for --from and "[internal] ..." steps have no count.
func vertexStage(name string, nstages int) (string, bool) {
	inner, ok := strings.CutPrefix(name, "[")
	if !ok {
		return "", false
	}
	inner, _, ok = strings.Cut(inner, "]")
	if !ok {
		return "", false
	}
	fields := strings.Fields(inner)
	switch {
	case len(fields) == 1 && nstages == 1 && strings.Contains(fields[0], "/"):
		return "0", true
	case len(fields) == 2 && strings.Contains(fields[1], "/"):
		return strings.TrimPrefix(fields[0], "stage-"), true
	}
	return "", false
}

// llbCase is a testdata Dockerfile with the build args to convert it with.
type llbCase struct {
	file string
	args map[string]string
}

func llbCases(t *testing.T) []llbCase {
	files, err := filepath.Glob("testdata/*.Dockerfile")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata Dockerfiles: %v", err)
	}
	var cases []llbCase
	for _, f := range files {
		cases = append(cases, llbCase{file: f})
	}
	return append(cases,
		llbCase{file: "testdata/variants.Dockerfile", args: map[string]string{"VARIANT": "debian", "BASE_IMAGE": "alpine:3.21"}},
		llbCase{file: "testdata/go-service.Dockerfile", args: map[string]string{"BUILDPLATFORM": "linux/arm64", "GO_VERSION": "1.25"}},
	)
}

// TestMatchesBuildKit checks, for every stage of every testdata Dockerfile,
// that the planner needs exactly the stages BuildKit's converter reaches.
func TestMatchesBuildKit(t *testing.T) {
	for _, c := range llbCases(t) {
		dt, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		eachTarget(t, dt, filepath.Base(c.file), func(t *testing.T, bkTarget, name string) {
			want, bkErr := convert(t, dt, bkTarget, c.args)
			p, err := planner.New(dt, planner.Options{BuildArgs: c.args, Targets: []planner.Target{{Name: name}}})
			compareStages(t, want, bkErr, p, err)
		})
	}
}

// eachTarget runs f as a subtest for every stage BuildKit can build: its
// name for BuildKit ("" for the default) and for the planner.
func eachTarget(t *testing.T, dt []byte, prefix string, f func(t *testing.T, bkTarget, name string)) {
	targets, err := dockerfile2llb.ListTargets(t.Context(), dt)
	if err != nil {
		t.Fatalf("%s: %v", prefix, err)
	}
	for i, st := range targets.Targets {
		bkTarget, name := st.Name, st.Name
		if name == "" {
			if !st.Default {
				continue // BuildKit can only build an unnamed stage as the default
			}
			name = strconv.Itoa(i)
		}
		t.Run(prefix+"/"+name, func(t *testing.T) { f(t, bkTarget, name) })
	}
}

// compareStages fails unless BuildKit and the planner both reject the
// Dockerfile or agree on the stages the target needs.
func compareStages(t *testing.T, want map[string]bool, bkErr error, p *planner.Plan, err error) {
	t.Helper()
	if bkErr != nil || err != nil {
		if bkErr == nil || err == nil {
			t.Fatalf("disagree: BuildKit error %v, planner error %v", bkErr, err)
		}
		return // both reject it
	}
	got := p.Targets[0].Stages
	if !slices.Equal(slices.Sorted(maps.Keys(want)), slices.Sorted(slices.Values(got))) {
		t.Errorf("stages: planner %q, BuildKit %q", got, slices.Sorted(maps.Keys(want)))
	}
}

// platformPairs are the (target, build) platforms TestPlatformsMatchBuildKit
// plans for, as a user writes them: the planner must normalize them the way
// BuildKit's dockerui does before dockerfile2llb sees them.
func platformPairs() [][2]string {
	return [][2]string{
		{"linux/amd64", "linux/amd64"},
		{"linux/arm64", "linux/arm64"},
		{"linux/arm/v7", "linux/arm/v7"},
		{"linux/arm64", "linux/amd64"},    // cross: emulated or cross-compiled
		{"linux/arm", "linux/amd64"},      // arm means arm/v7
		{"linux/amd64", "linux/arm64/v8"}, // arm64/v8 means arm64
		{"linux/arm/v6", "linux/arm64"},   // a variant BuildKit keeps
		{"linux/riscv64", "linux/arm/v7"}, // no stage for it: an image
		{"windows/amd64", "linux/amd64"},  // TARGETOS selects
		{"linux/s390x", "linux/ppc64le"},  // no stage for either
	}
}

// TestPlatformsMatchBuildKit checks, for every target of the Dockerfiles
// that pick stages by platform ARGs, on every platform pair, that the
// planner needs exactly the stages BuildKit's converter reaches.
func TestPlatformsMatchBuildKit(t *testing.T) {
	files, err := filepath.Glob("testdata/platforms/*.Dockerfile")
	if err != nil || len(files) < 4 {
		t.Fatalf("want at least 4 platform Dockerfiles, got %d: %v", len(files), err)
	}
	files = append(files, "testdata/go-service.Dockerfile", "testdata/platform.Dockerfile")
	for _, pair := range platformPairs() {
		tp, bp := mustPlatform(t, pair[0]), mustPlatform(t, pair[1])
		for _, file := range files {
			dt, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			// One level per pair: a "/" in a subtest name nests it.
			prefix := strings.ReplaceAll(pair[0]+"_on_"+pair[1], "/", "-") + "/" + filepath.Base(file)
			eachTarget(t, dt, prefix, func(t *testing.T, bkTarget, name string) {
				want, bkErr := convertFor(t, dt, bkTarget, nil, platforms.Normalize(tp), platforms.Normalize(bp))
				p, err := planner.New(dt, planner.Options{
					Platforms:     []ocispecs.Platform{tp},
					BuildPlatform: bp,
					Targets:       []planner.Target{{Name: name}},
				})
				compareStages(t, want, bkErr, p, err)
			})
		}
	}
}

func mustPlatform(t *testing.T, s string) ocispecs.Platform {
	t.Helper()
	p, err := platforms.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBuildKitRejectsToo checks that BuildKit also rejects every Dockerfile
// the planner rejects (bar the planner's own stricter rules), at the same
// line when BuildKit reports one.
func TestBuildKitRejectsToo(t *testing.T) {
	for _, tc := range errorCases() {
		if tc.plannerOnly {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			target := ""
			if len(tc.targets) > 0 {
				target = tc.targets[0]
			}
			_, err := convert(t, []byte(tc.dockerfile), target, tc.args)
			if err == nil {
				t.Fatalf("BuildKit accepted it; planner wants %q", tc.wantErr)
			}
			var le *parser.LocationError
			if errors.As(err, &le) && tc.line > 0 {
				if got := le.Locations[0][0].Start.Line; got != tc.line {
					t.Errorf("BuildKit line %d, planner line %d (%v)", got, tc.line, err)
				}
			}
		})
	}
}
