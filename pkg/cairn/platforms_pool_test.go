package cairn_test

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/containerd/platforms"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/push"
)

// twoArch has no RUN: this host cannot run arm64 binaries. Each platform
// copies its own file, so a missing one fails that platform alone.
const twoArch = `FROM scratch AS base
ARG TARGETARCH
COPY ${TARGETARCH}.txt /arch
FROM scratch AS app
COPY --from=base /arch /arch
COPY app.txt /app
`

var bothPlatforms = []string{"linux/amd64", "linux/arm64"}

// archPool is two fresh daemons, one declaring each platform.
func archPool(t *testing.T) *cairn.Pool {
	t.Helper()
	amd := testenv.NewDaemon(t, testenv.Platforms("linux/amd64"))
	arm := testenv.NewDaemon(t, testenv.Platforms("linux/arm64"))
	return dialNamed(t, []string{"amd", "arm"}, amd, arm)
}

func archProject(t *testing.T, dir, repo, mode string) *cairn.Project {
	t.Helper()
	p, err := cairn.Load(t.Context(), cairn.LoadOptions{
		Config:    filepath.Join(dir, "build.yaml"),
		Overrides: config.Overrides{Repository: repo, Platforms: bothPlatforms, CacheMode: mode},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPoolBuildsEachPlatformNatively: with a daemon declaring each
// platform, each platform's stages are built on its own daemon; one index
// per stage, holding both images, is published in the commit, under the
// target's tag and the stage's cache ref, from which fresh daemons then
// build every step cached. A failure on one platform publishes neither.
func TestPoolBuildsEachPlatformNatively(t *testing.T) {
	for _, mode := range []string{config.CacheInline, config.CacheMax} {
		t.Run(mode, func(t *testing.T) {
			dir := testenv.WriteDir(t, map[string]string{
				"Dockerfile": twoArch, "amd64.txt": "amd64\n", "arm64.txt": "arm64\n", "app.txt": "app\n",
				"build.yaml": "version: 1\ntargets:\n  app:\n    tags: [latest]\n",
			})
			repo := testenv.Repo(t)
			report, err := poolRun(t, archPool(t), archProject(t, dir, repo, mode), cairn.RunOptions{Push: true})
			if err != nil {
				t.Fatal(err)
			}
			testenv.ValidateReport(t, metadata(t, report))
			images := map[string]string{} // platform → app's image
			for _, s := range report.Stages {
				if want := map[string]string{"linux/amd64": "amd", "linux/arm64": "arm"}[s.Platform]; s.Builder != want || want == "" {
					t.Errorf("stage %s for %q built on %q, want %q", s.Name, s.Platform, s.Builder, want)
				}
				if s.Name == "app" {
					images[s.Platform] = s.Digest
				}
			}
			tags := published(t, repo)
			if want := []string{"cache-app", "cache-base", "latest"}; !slices.Equal(slices.Sorted(maps.Keys(tags)), want) {
				t.Fatalf("tags %v, want %v", tags, want)
			}
			if tags["latest"] != report.Targets[0].Digest {
				t.Errorf("latest is %s, the report's target %s", tags["latest"], report.Targets[0].Digest)
			}
			if got := indexImages(t, repo+":latest"); !maps.Equal(got, images) {
				t.Errorf("latest's index holds %v, want the per-platform images %v", got, images)
			}
			for _, ref := range []string{"cache-app", "cache-base"} {
				if got := indexImages(t, repo+":"+ref); len(got) != 2 {
					t.Errorf("%s holds %v, want one cache per platform", ref, got)
				}
			}

			again, err := poolRun(t, archPool(t), archProject(t, dir, repo, mode), cairn.RunOptions{Push: true, NoSkip: true}) // built again
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range again.Stages {
				if s.Steps == 0 || s.Cached != s.Steps {
					t.Errorf("fresh daemons: stage %s for %s: %d of %d steps cached, want all (imports %+v)", s.Name, s.Platform, s.Cached, s.Steps, s.CacheImports)
				}
			}
			for _, tag := range again.Tags {
				if tag.Kind == push.KindCache && tag.State != push.Unchanged {
					t.Errorf("fresh daemons, every step cached: %s %s, want unchanged", tag.Tag, tag.State)
				}
			}
			if mode != config.CacheInline {
				return
			}

			before := published(t, repo)
			if err := os.Remove(filepath.Join(dir, "arm64.txt")); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "app.txt"), []byte("app, edited\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = poolRun(t, archPool(t), archProject(t, dir, repo, mode), cairn.RunOptions{Push: true})
			if !errors.Is(err, cairn.ErrNothingPublished) {
				t.Errorf("arm64 failed: error %v, want one matching ErrNothingPublished", err)
			}
			if after := published(t, repo); !maps.Equal(after, before) {
				t.Errorf("a failure on one platform moved tags:\n before %v\n after  %v", before, after)
			}
		})
	}
}

// indexImages reads the image index under ref: platform → manifest. Each
// image's config must be for the platform its descriptor names.
func indexImages(t *testing.T, ref string) map[string]string {
	t.Helper()
	idx, m := testenv.Index(t, ref)
	out := map[string]string{}
	for _, desc := range m.Manifests {
		if desc.Platform == nil {
			t.Errorf("%s: manifest %s has no platform", ref, desc.Digest)
			continue
		}
		p := platforms.Format(platforms.MustParse(desc.Platform.String()))
		out[p] = desc.Digest.String()
		if desc.MediaType.IsImage() && !isCache(t, idx, desc) {
			cf, err := indexImage(t, idx, desc).ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if got := cf.OS + "/" + cf.Architecture; got != p {
				t.Errorf("%s: the %s manifest's image is for %s", ref, p, got)
			}
		}
	}
	return out
}

// isCache reports whether the manifest is a mode=max cache, not an image.
func isCache(t *testing.T, idx v1.ImageIndex, desc v1.Descriptor) bool {
	t.Helper()
	m, err := indexImage(t, idx, desc).Manifest()
	if err != nil {
		t.Fatal(err)
	}
	return m.Config.MediaType == "application/vnd.buildkit.cacheconfig.v0"
}

func indexImage(t *testing.T, idx v1.ImageIndex, desc v1.Descriptor) v1.Image {
	t.Helper()
	img, err := idx.Image(desc.Digest)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestPoolRecordsEachPlatformsBase: built on a pool, each platform on its
// own daemon, a stage records its base as on one daemon: every platform's
// digest on its cache index, and its own on each platform's manifest.
func TestPoolRecordsEachPlatformsBase(t *testing.T) {
	baseRepo := testenv.BaseRepo(t)
	base := baseRepo + ":1"
	amd, arm := pushTwoPlatformBase(t, baseRepo, "v1", "v1")
	dir := testenv.WriteDir(t, map[string]string{
		"Dockerfile": "FROM " + base + " AS s\nCOPY marker /marker\n", "marker": "m\n",
		"build.yaml": "version: 1\ntargets:\n  s:\n    tags: [v1]\n",
	})
	repo := testenv.Repo(t)
	report, err := poolRun(t, archPool(t), archProject(t, dir, repo, config.CacheInline), cairn.RunOptions{Push: true})
	if err != nil {
		t.Fatal(err)
	}
	testenv.ValidateReport(t, metadata(t, report))
	checkBaseRecords(t, repo, base, map[string]string{"linux/amd64": digestOf(t, amd), "linux/arm64": digestOf(t, arm)})
	if changes, err := cairn.Outdated(t.Context(), archProject(t, dir, repo, config.CacheInline), cairn.OutdatedOptions{}); err != nil || len(changes) != 0 {
		t.Errorf("Outdated right after the build: %+v, %v; want nothing", changes, err)
	}
}

// TestPoolSavesTheCacheMountsOfTwoPlatforms: a pool that builds two
// platforms, each on its own, reports the cache mount their RUNs share and
// saves it (one daemon builds both here, so one directory holds it all),
// and the commit moves its snapshot tag.
func TestPoolSavesTheCacheMountsOfTwoPlatforms(t *testing.T) {
	both := testenv.NewDaemon(t, testenv.Platforms("linux/amd64", "linux/arm64"))
	other := testenv.NewDaemon(t, testenv.Platforms("linux/s390x")) // builds neither: a pool, not one daemon
	pool := dialNamed(t, []string{"both", "other"}, both, other)
	repo, dir := testenv.Repo(t), appWithMount(t)
	report, err := poolRun(t, pool, archProject(t, dir, repo, config.CacheInline), cairn.RunOptions{Push: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Stages) != 2 || report.Stages[0].Platform == report.Stages[1].Platform {
		t.Fatalf("stages %+v, want app once per platform", report.Stages)
	}
	m := mountOf(t, report, appMountID)
	if m.Save != build.Saved || m.SavedDigest == "" {
		t.Fatalf("mount %+v, want saved", m)
	}
	if got := published(t, repo)[appSnapshotTag]; got != m.SavedDigest {
		t.Errorf("snapshot tag at %q, want the saved %s", got, m.SavedDigest)
	}
}
