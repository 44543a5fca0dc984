package cairn_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/bases"
	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/config"
)

// freshProject is deps on a test base that moves, other on a test base
// that does not, and app built from deps with a file of other.
func freshProject(t *testing.T, mode string) (dir, base, other string) {
	t.Helper()
	base, other = testenv.BaseRepo(t)+":1", testenv.BaseRepo(t)+":1"
	dockerfile := "FROM " + base + " AS deps\nRUN cat /version > /deps-saw\n\n" +
		"FROM " + other + " AS other\nRUN echo other > /other\n\n" +
		"FROM deps AS app\nCOPY --from=other /other /other\nRUN cat /deps-saw /other > /app\n"
	dir = t.TempDir()
	files := map[string]string{"Dockerfile": dockerfile, "build.yaml": "version: 1\ncache: {mode: " + mode + "}\ntargets:\n  app:\n    tags: [v1]\n"}
	testenv.WriteFiles(t, dir, files)
	return dir, base, other
}

// TestMovedBaseRebuildsItsStages: a base re-pushed under its tag is listed
// by Outdated; the next build rebuilds the stages on it from the new base
// (with pull mode, recording the new digest) while a stage on another base
// stays cached; after it, Outdated lists nothing. In both cache modes, each
// build on a fresh daemon.
func TestMovedBaseRebuildsItsStages(t *testing.T) {
	for _, mode := range []string{config.CacheInline, config.CacheMax} {
		t.Run(mode, func(t *testing.T) {
			dir, base, other := freshProject(t, mode)
			v1img := testenv.PushBase(t, base, "v1")
			testenv.PushBase(t, other, "other")
			repo := testenv.Repo(t)
			ctx := t.Context()

			first, err := run(t, load(t, dir, repo, nil), cairn.RunOptions{Push: true})
			if err != nil {
				t.Fatalf("first build: %v", err)
			}
			testenv.ValidateReport(t, metadata(t, first))
			pf := first.Platforms[0]
			deps := stageReport(t, first, "deps")
			if deps.Base == nil || deps.Base.Digests[pf] != digestOf(t, v1img) || deps.Base.Previous != nil {
				t.Fatalf("first build: deps base %+v, want %s on %s", deps.Base, digestOf(t, v1img), pf)
			}
			if app := stageReport(t, first, "app"); app.Base != nil {
				t.Errorf("app is built FROM a stage, its report has base %+v", app.Base)
			}
			record := cacheAnnotations(t, repo+":cache-deps")
			if record[bases.AnnotationDigests] != pf+"="+digestOf(t, v1img) || record[ocispecs.AnnotationBaseImageName] != base {
				t.Errorf("cache-deps annotations %v, want the base recorded", record)
			}
			if changes, err := cairn.Outdated(ctx, load(t, dir, repo, nil), cairn.OutdatedOptions{}); err != nil || len(changes) != 0 {
				t.Fatalf("Outdated after the first build: %v, %v; want nothing", changes, err)
			}

			v2img := testenv.PushBase(t, base, "v2")
			changes, err := cairn.Outdated(ctx, load(t, dir, repo, nil), cairn.OutdatedOptions{})
			want := bases.Changes{{Stage: "deps", Base: base, Platform: pf, Old: digestOf(t, v1img), New: digestOf(t, v2img), CacheRef: repo + ":cache-deps"}}
			if err != nil || !slices.Equal(changes, want) {
				t.Fatalf("Outdated after the base moved: %+v, %v\nwant %+v", changes, err, want)
			}

			second, err := run(t, load(t, dir, repo, nil), cairn.RunOptions{Push: true})
			if err != nil {
				t.Fatalf("second build: %v", err)
			}
			testenv.ValidateReport(t, metadata(t, second))
			for _, s := range second.Stages {
				t.Logf("second build: %s %d steps, %d cached", s.Name, s.Steps, s.Cached)
				wantCached := 0
				if s.Name == "other" {
					wantCached = s.Steps
				}
				if s.Steps == 0 || s.Cached != wantCached {
					t.Errorf("second build: stage %s: %d of %d steps cached, want %d", s.Name, s.Cached, s.Steps, wantCached)
				}
			}
			deps = stageReport(t, second, "deps")
			if deps.Base == nil || deps.Base.Digests[pf] != digestOf(t, v2img) || deps.Base.Previous[pf] != digestOf(t, v1img) {
				t.Errorf("second build: deps base %+v, want %s, previously %s", deps.Base, digestOf(t, v2img), digestOf(t, v1img))
			}
			if b := stageReport(t, second, "other").Base; b == nil || b.Previous != nil {
				t.Errorf("second build: other base %+v, want it unmoved", b)
			}
			app := testenv.Image(t, repo+":v1")
			if got := readFile(t, app, "app"); got != "v2\nother\n" {
				t.Errorf("published app's /app = %q, want it built on base v2", got)
			}
			baseIDs, appIDs := diffIDs(t, v2img), diffIDs(t, app)
			if len(appIDs) < len(baseIDs) || !slices.Equal(appIDs[:len(baseIDs)], baseIDs) {
				t.Errorf("published app's layers %v do not start with base v2's %v", appIDs, baseIDs)
			}
			if m, err := app.Manifest(); err != nil || m.Annotations[ocispecs.AnnotationBaseImageDigest] != "" {
				t.Errorf("app's manifest annotations %v (%v): app is FROM a stage, it names no base", m.Annotations, err)
			}

			if changes, err := cairn.Outdated(ctx, load(t, dir, repo, nil), cairn.OutdatedOptions{}); err != nil || len(changes) != 0 {
				t.Errorf("Outdated after the rebuild: %+v, %v; want nothing", changes, err)
			}
		})
	}
}

// TestRefreshOffRecordsNothing: with baseImages.refresh false nothing is
// resolved or recorded, so Outdated has nothing to compare.
func TestRefreshOffRecordsNothing(t *testing.T) {
	dir, base, other := freshProject(t, config.CacheInline)
	testenv.PushBase(t, base, "v1")
	testenv.PushBase(t, other, "other")
	repo := testenv.Repo(t)
	off := false
	p, err := cairn.Load(t.Context(), cairn.LoadOptions{
		Config:    filepath.Join(dir, "build.yaml"),
		Overrides: config.Overrides{Repository: repo, RefreshBases: &off},
	})
	if err != nil {
		t.Fatal(err)
	}
	report, err := run(t, p, cairn.RunOptions{Push: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range report.Stages {
		if s.Base != nil {
			t.Errorf("stage %s: base %+v with refresh off", s.Name, s.Base)
		}
	}
	if a := cacheAnnotations(t, repo+":cache-deps"); a[bases.AnnotationDigests] != "" {
		t.Errorf("cache-deps annotations %v with refresh off", a)
	}
	testenv.PushBase(t, base, "v2")
	if changes, err := cairn.Outdated(t.Context(), p, cairn.OutdatedOptions{}); err != nil || len(changes) != 0 {
		t.Errorf("Outdated without records: %+v, %v; want nothing (not checked)", changes, err)
	}
	noCache, err := cairn.Load(t.Context(), cairn.LoadOptions{
		Config:    filepath.Join(dir, "build.yaml"),
		Overrides: config.Overrides{Repository: repo, CacheMode: config.CacheOff},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cairn.Outdated(t.Context(), noCache, cairn.OutdatedOptions{}); !errors.Is(err, bases.ErrNoCacheRefs) {
		t.Errorf("Outdated with the cache off: %v, want ErrNoCacheRefs", err)
	}
}

func stageReport(t *testing.T, r *cairn.Report, name string) cairn.StageReport {
	t.Helper()
	for _, s := range r.Stages {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no stage %s in the report", name)
	return cairn.StageReport{}
}

func digestOf(t *testing.T, img v1.Image) string {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func diffIDs(t *testing.T, img v1.Image) []v1.Hash {
	t.Helper()
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	return cfg.RootFS.DiffIDs
}

// cacheAnnotations are the annotations of the manifest (or index) under ref.
func cacheAnnotations(t *testing.T, ref string) map[string]string {
	t.Helper()
	desc := testenv.Descriptor(t, ref)
	var m struct {
		Annotations map[string]string `json:"annotations"`
	}
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	return m.Annotations
}

// pushTwoPlatformBase pushes to repo:1 an index of two bases, PushBase's
// with amdVersion for linux/amd64 and armVersion for linux/arm64, and
// returns them.
func pushTwoPlatformBase(t *testing.T, repo, amdVersion, armVersion string) (amd, arm v1.Image) {
	t.Helper()
	amd = testenv.PushBase(t, repo+":amd-"+amdVersion, amdVersion)
	arm = testenv.PushBase(t, repo+":arm-"+armVersion, armVersion)
	cfg, err := arm.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.Architecture = "arm64"
	if arm, err = mutate.ConfigFile(arm, cfg); err != nil {
		t.Fatal(err)
	}
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
	)
	tag, err := name.NewTag(repo+":1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(tag, idx); err != nil {
		t.Fatal(err)
	}
	return amd, arm
}

// checkBaseRecords checks the base digests a two-platform build of stage s,
// target tag v1, recorded in repo: want, the base's manifest by platform,
// on the stage's cache index and on each platform's manifest of v1.
func checkBaseRecords(t *testing.T, repo, base string, want map[string]string) {
	t.Helper()
	record := "linux/amd64=" + want["linux/amd64"] + ",linux/arm64=" + want["linux/arm64"]
	if a := cacheAnnotations(t, repo+":cache-s"); a[bases.AnnotationDigests] != record || a[ocispecs.AnnotationBaseImageName] != base {
		t.Errorf("cache index annotations %v, want %s", a, record)
	}
	idx, im := testenv.Index(t, repo+":v1")
	seen := 0
	for _, desc := range im.Manifests {
		p := ""
		if desc.Platform != nil {
			p = desc.Platform.OS + "/" + desc.Platform.Architecture
		}
		if want[p] == "" {
			continue // an attestation
		}
		img, err := idx.Image(desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Annotations[ocispecs.AnnotationBaseImageDigest]; got != want[p] {
			t.Errorf("%s manifest: base digest %q, want %s", p, got, want[p])
		}
		seen++
	}
	if seen != len(want) {
		t.Errorf("published index has %d platform manifests, want %d", seen, len(want))
	}
}

// readFile reads a file of img's flattened filesystem.
func readFile(t *testing.T, img v1.Image, path string) string {
	t.Helper()
	data, ok := testenv.Files(t, img)["/"+path]
	if !ok {
		t.Fatalf("no %s in the image", path)
	}
	return data
}

// TestMultiPlatformRecord: a stage built for two platforms records each
// platform's base digest on its cache index and on each platform's
// manifest; when the base's index moves for one platform only, Outdated
// lists that platform alone.
func TestMultiPlatformRecord(t *testing.T) {
	baseRepo := testenv.BaseRepo(t)
	base := baseRepo + ":1"
	amd1, arm1 := pushTwoPlatformBase(t, baseRepo, "v1", "v1")
	dir := t.TempDir()
	// No RUN: an arm64 build needs no emulator on this host.
	testenv.WriteFiles(t, dir, map[string]string{"Dockerfile": "FROM " + base + " AS s\nCOPY marker /marker\n", "marker": "m\n"})
	repo := testenv.Repo(t)
	p, err := cairn.Load(t.Context(), cairn.LoadOptions{Overrides: config.Overrides{
		Dockerfile: filepath.Join(dir, "Dockerfile"), Context: dir, Repository: repo,
		Platforms: []string{"linux/amd64", "linux/arm64"}, Tags: []string{"v1"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	report, err := run(t, p, cairn.RunOptions{Push: true})
	if err != nil {
		t.Fatal(err)
	}
	testenv.ValidateReport(t, metadata(t, report))
	checkBaseRecords(t, repo, base, map[string]string{"linux/amd64": digestOf(t, amd1), "linux/arm64": digestOf(t, arm1)})

	_, arm2 := pushTwoPlatformBase(t, baseRepo, "v1", "v2")
	changes, err := cairn.Outdated(t.Context(), p, cairn.OutdatedOptions{})
	wantChanges := bases.Changes{{Stage: "s", Base: base, Platform: "linux/arm64", Old: digestOf(t, arm1), New: digestOf(t, arm2), CacheRef: repo + ":cache-s"}}
	if err != nil || !slices.Equal(changes, wantChanges) {
		t.Errorf("Outdated: %+v, %v\nwant %+v", changes, err, wantChanges)
	}
}
