package bases

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cairn-build/cairn/pkg/planner"
	"github.com/cairn-build/cairn/pkg/registry"
)

const (
	dA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	dB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	dC = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
)

func TestParseRecord(t *testing.T) {
	const name = "org.opencontainers.image.base.name"
	tests := []struct {
		name        string
		annotations map[string]string
		want        *baseRecord
	}{
		{"one platform", map[string]string{name: "docker.io/library/busybox:1.36", AnnotationDigests: "linux/amd64=" + dA},
			&baseRecord{ref: "docker.io/library/busybox:1.36", digests: map[string]string{"linux/amd64": dA}}},
		{"two platforms", map[string]string{name: "r/b:1", AnnotationDigests: "linux/amd64=" + dA + ",linux/arm/v7=" + dB},
			&baseRecord{ref: "r/b:1", digests: map[string]string{"linux/amd64": dA, "linux/arm/v7": dB}}},
		{"written the old way", map[string]string{name: "r/b:1", "io.github.cairn-build.base.digests": "linux/amd64=" + dA},
			&baseRecord{ref: "r/b:1", digests: map[string]string{"linux/amd64": dA}}},
		{"no annotations", nil, nil},
		{"a name alone (another tool's OCI annotation)", map[string]string{name: "r/b:1"}, nil},
		{"digests alone", map[string]string{AnnotationDigests: "linux/amd64=" + dA}, nil},
		{"malformed", map[string]string{name: "r/b:1", AnnotationDigests: "linux/amd64"}, nil},
		{"empty digest", map[string]string{name: "r/b:1", AnnotationDigests: "linux/amd64="}, nil},
	}
	for _, tt := range tests {
		got := parseRecord(tt.annotations)
		if (got == nil) != (tt.want == nil) || got != nil && (got.ref != tt.want.ref || !maps.Equal(got.digests, tt.want.digests)) {
			t.Errorf("%s: parseRecord = %+v, want %+v", tt.name, got, tt.want)
		}
	}
	digests := map[string]string{"linux/arm64": dB, "linux/amd64": dA}
	if got, want := formatDigests(digests), "linux/amd64="+dA+",linux/arm64="+dB; got != want {
		t.Errorf("formatDigests = %q, want %q (sorted)", got, want)
	}
	back := parseRecord(map[string]string{name: "r/b:1", AnnotationDigests: formatDigests(digests)})
	if back == nil || !maps.Equal(back.digests, digests) {
		t.Errorf("round trip: %+v, want %v", back, digests)
	}
}

func TestMoved(t *testing.T) {
	rec := func(ref string, d map[string]string) *baseRecord { return &baseRecord{ref: ref, digests: d} }
	tests := []struct {
		name string
		b    stageBase
		want map[string]string
	}{
		{"same digest", stageBase{ref: "r/b:1", recorded: rec("r/b:1", map[string]string{"linux/amd64": dA}), current: map[string]string{"linux/amd64": dA}}, nil},
		{"moved", stageBase{ref: "r/b:1", recorded: rec("r/b:1", map[string]string{"linux/amd64": dA}), current: map[string]string{"linux/amd64": dB}}, map[string]string{"linux/amd64": dA}},
		{"one platform of two moved", stageBase{ref: "r/b:1", recorded: rec("r/b:1", map[string]string{"linux/amd64": dA, "linux/arm64": dB}), current: map[string]string{"linux/amd64": dA, "linux/arm64": dC}}, map[string]string{"linux/arm64": dB}},
		{"a platform the cache was not built for", stageBase{ref: "r/b:1", recorded: rec("r/b:1", map[string]string{"linux/amd64": dA}), current: map[string]string{"linux/arm64": dB}}, nil},
		{"no record", stageBase{ref: "r/b:1", current: map[string]string{"linux/amd64": dB}}, nil},
		{"FROM changed", stageBase{ref: "r/b:2", recorded: rec("r/b:1", map[string]string{"linux/amd64": dA}), current: map[string]string{"linux/amd64": dB}}, nil},
		{"not resolved", stageBase{ref: "r/b:1", recorded: rec("r/b:1", map[string]string{"linux/amd64": dA}), err: http.ErrHandlerTimeout}, nil},
	}
	for _, tt := range tests {
		if got := tt.b.moved(); !maps.Equal(got, tt.want) {
			t.Errorf("%s: moved = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestExternalBases: the bases a build pulls are the images its
// standalone stages start from, not scratch, a stage, or a named context
// (FROM base with a context named base, as a bake target:base link is).
func TestExternalBases(t *testing.T) {
	plan := &planner.Plan{Stages: []planner.StagePlan{
		{Name: "deps", Base: "golang:1.26", Standalone: true},
		{Name: "builder", Base: "deps", BaseIsStage: true, Standalone: true},
		{Name: "linked", Base: "base", Standalone: true},
		{Name: "empty", Base: "scratch", Standalone: true},
		{Name: "tool", Base: "busybox:1.36"},
	}}
	var got []string
	for _, b := range externalBases(plan, map[string]string{"base": "docker-image://reg/base@sha256:0"}) {
		got = append(got, b.stage.Name+"="+b.ref)
	}
	if want := []string{"deps=docker.io/library/golang:1.26"}; !slices.Equal(got, want) {
		t.Errorf("external bases %q, want %q", got, want)
	}
}

// TestStageOptions: a stage whose base moved, and every stage that depends
// on it, is solved with pull mode; an independent stage is not; every
// resolved base is recorded.
func TestStageOptions(t *testing.T) {
	plan := &planner.Plan{Stages: []planner.StagePlan{
		{Name: "deps", Base: "r/b:1", Standalone: true},
		{Name: "other", Base: "r/o:1", Standalone: true},
		{Name: "builder", Base: "deps", BaseIsStage: true, DependsOn: []string{"deps"}, Standalone: true},
		{Name: "app", Base: "r/o:1", DependsOn: []string{"builder", "other"}, Standalone: true},
		{Name: "lone", Base: "r/u:1", Standalone: true},
	}}
	amd := "linux/amd64"
	bases := []*stageBase{
		{stage: plan.Stages[0], ref: "r/b:1", recorded: &baseRecord{ref: "r/b:1", digests: map[string]string{amd: dA}}, current: map[string]string{amd: dB}},
		{stage: plan.Stages[1], ref: "r/o:1", recorded: &baseRecord{ref: "r/o:1", digests: map[string]string{amd: dC}}, current: map[string]string{amd: dC}},
		{stage: plan.Stages[3], ref: "r/o:1", current: map[string]string{amd: dC}},
		{stage: plan.Stages[4], ref: "r/u:1", err: http.ErrHandlerTimeout},
	}
	opts := stageOptions(plan, bases, []string{amd})
	for stage, want := range map[string]bool{"deps": true, "other": false, "builder": true, "app": true, "lone": false} {
		if opts[stage].Pull != want {
			t.Errorf("%s: Pull = %v, want %v", stage, opts[stage].Pull, want)
		}
	}
	if got := opts["deps"].ImageAnnotations; got["annotation.org.opencontainers.image.base.digest"] != dB || got["annotation."+AnnotationDigests] != amd+"="+dB || got["annotation.org.opencontainers.image.base.name"] != "r/b:1" {
		t.Errorf("deps: image annotations %v, want the new base recorded", got)
	}
	if got := opts["deps"].CacheAnnotations; got[AnnotationDigests] != amd+"="+dB || got["org.opencontainers.image.base.name"] != "r/b:1" {
		t.Errorf("deps: cache annotations %v, want the new base recorded", got)
	}
	for _, stage := range []string{"builder", "lone"} {
		if len(opts[stage].ImageAnnotations) > 0 || len(opts[stage].CacheAnnotations) > 0 {
			t.Errorf("%s: annotations %+v, want none (no base resolved)", stage, opts[stage])
		}
	}
}

func TestImageAnnotationsMultiPlatform(t *testing.T) {
	targets := []string{"linux/amd64", "linux/arm64"}
	b := &stageBase{stage: planner.StagePlan{Name: "s"}, ref: "r/b:1", current: map[string]string{"linux/amd64": dA, "linux/arm64": dB}}
	want := map[string]string{
		"annotation.org.opencontainers.image.base.name":                         "r/b:1",
		"annotation-index.org.opencontainers.image.base.name":                   "r/b:1",
		"annotation-index." + AnnotationDigests:                                 "linux/amd64=" + dA + ",linux/arm64=" + dB,
		"annotation-manifest[linux/amd64].org.opencontainers.image.base.digest": dA,
		"annotation-manifest[linux/arm64].org.opencontainers.image.base.digest": dB,
	}
	if got := b.imageAnnotations(targets); !maps.Equal(got, want) {
		t.Errorf("imageAnnotations = %v\nwant %v", got, want)
	}
	// FROM --platform=linux/amd64: every target's image is on that one base.
	pinned := &stageBase{stage: planner.StagePlan{Name: "s", Platform: "linux/amd64"}, ref: "r/b:1", current: map[string]string{"linux/amd64": dA}}
	got := pinned.imageAnnotations(targets)
	if got["annotation-manifest[linux/arm64].org.opencontainers.image.base.digest"] != dA || got["annotation-index."+AnnotationDigests] != "linux/amd64="+dA {
		t.Errorf("FROM --platform: %v, want the amd64 base on every manifest", got)
	}
}

// TestResolverPicksThePlatformsManifest: for an index the digest is that of
// the platform's manifest, as BuildKit's cache key has it; a plain
// manifest is its own digest; each ref is fetched once.
func TestResolverPicksThePlatformsManifest(t *testing.T) {
	var gets atomic.Int32
	reg := ggcrregistry.New()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/manifests/") {
			gets.Add(1)
		}
		reg.ServeHTTP(w, r)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	amd, arm := randomImage(t), randomImage(t)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
	)
	write(t, host+"/multi:1", idx)
	plain := randomImage(t)
	write(t, host+"/plain:1", plain)

	access, err := registry.New()
	if err != nil {
		t.Fatal(err)
	}
	r := &baseResolver{reg: access, calls: map[string]*fetch{}}
	ctx := t.Context()
	tests := []struct {
		ref, platform string
		want          v1.Image
	}{
		{host + "/multi:1", "linux/amd64", amd},
		{host + "/multi:1", "linux/arm64", arm}, // normalized: arm64/v8 is arm64
		{host + "/plain:1", "linux/amd64", plain},
		{host + "/plain:1", "linux/arm64", plain},
	}
	for _, tt := range tests {
		got, err := r.digest(ctx, tt.ref, tt.platform)
		want, _ := tt.want.Digest()
		if err != nil || got != want.String() {
			t.Errorf("digest(%s, %s) = %s, %v; want %s", tt.ref, tt.platform, got, err, want)
		}
	}
	if _, err := r.digest(ctx, host+"/multi:1", "linux/s390x"); err == nil || !strings.Contains(err.Error(), "no image for linux/s390x") {
		t.Errorf("missing platform: error %v", err)
	}
	if _, err := r.digest(ctx, host+"/gone:1", "linux/amd64"); err == nil || !strings.Contains(err.Error(), "resolve base") {
		t.Errorf("missing base: error %v", err)
	}
	if n := gets.Load(); n != 3 {
		t.Errorf("%d manifest GETs, want 3: one per ref", n)
	}
}

func randomImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func write(t *testing.T, ref string, x remote.Taggable) {
	t.Helper()
	tag, err := name.NewTag(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	var werr error
	switch v := x.(type) {
	case v1.ImageIndex:
		werr = remote.WriteIndex(tag, v)
	case v1.Image:
		werr = remote.Write(tag, v)
	}
	if werr != nil {
		t.Fatal(werr)
	}
}
