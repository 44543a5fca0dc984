package cairn_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/push"
	"github.com/cairn-build/cairn/pkg/render"
)

// goModule is a Go module of two packages whose build log goes into the
// published image.
var goModule = map[string]string{
	"go.mod":  "module example.com/app\n\ngo 1.26\n",
	"main.go": "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/app/greet\"\n)\n\nfunc main() { fmt.Println(greet.Hello(\"cairn\")) }\n",
	"greet/greet.go": "package greet\n\nimport \"strings\"\n\n// Hello greets name.\n" +
		"func Hello(name string) string { return \"hello, \" + strings.TrimSpace(name) }\n",
	"Dockerfile": `FROM golang:1.26 AS builder
WORKDIR /src
RUN mkdir /out
COPY . .
RUN --mount=type=cache,target=/root/.cache/go-build go build -x -o /out/app . 2>/out/build.log

FROM busybox:1.36 AS runtime
COPY --from=builder /out /out
`,
	"build.yaml": "version: 1\ntargets:\n  runtime:\n    tags: [latest]\n",
}

// compiled reads the go build -x log from the image at ref and returns
// the packages it compiled, and whether it linked.
func compiled(t *testing.T, ref string) (pkgs []string, linked bool) {
	t.Helper()
	compile := regexp.MustCompile(`/compile .* -p (\S+) `)
	for _, line := range strings.Split(readFile(t, testenv.Image(t, ref), "out/build.log"), "\n") {
		if m := compile.FindStringSubmatch(line); m != nil {
			pkgs = append(pkgs, m[1])
		}
		linked = linked || strings.Contains(line, "/link -o ")
	}
	slices.Sort(pkgs)
	return pkgs, linked
}

func mountOf(t *testing.T, r *cairn.Report, id string) cairn.MountReport {
	t.Helper()
	for _, m := range r.Mounts {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("no mount %s in the report: %+v", id, r.Mounts)
	return cairn.MountReport{}
}

const goBuildID = "//root/.cache/go-build"

// TestCacheMountCarriesTheGoBuildCache: each build on a fresh daemon, as
// on a fresh CI runner. The cold build compiles the standard library too
// and saves the go build cache; a rebuild with no change restores and
// saves nothing; after a one-file edit the restored cache leaves go to
// compile only the edited package and main, and link.
func TestCacheMountCarriesTheGoBuildCache(t *testing.T) {
	repo, dir := testenv.Repo(t), t.TempDir()
	testenv.WriteFiles(t, dir, goModule)
	snapshot := repo + ":cache-mount-root-.cache-go-build"
	p := load(t, dir, repo, nil)
	if !slices.ContainsFunc(p.Tags(), func(tag cairn.Tag) bool {
		return tag.Ref == snapshot && tag.Kind == push.KindCache && tag.Mount == goBuildID
	}) {
		t.Fatalf("project tags %+v: want the snapshot %s, a cache tag", p.Tags(), snapshot)
	}

	cold, err := run(t, p, cairn.RunOptions{Push: true})
	if err != nil {
		t.Fatalf("cold build: %v", err)
	}
	testenv.ValidateReport(t, metadata(t, cold))
	m := mountOf(t, cold, goBuildID)
	if m.Restore != build.Missing || m.Save != build.Saved || m.SavedDigest == "" || m.Size == 0 {
		t.Errorf("cold build: mount %+v, want missing, then saved", m)
	}
	tags := testenv.Tags(t, repo)
	if tags["cache-mount-root-.cache-go-build"] != m.SavedDigest {
		t.Errorf("cold build: registry tags %v, want the snapshot at %s", tags, m.SavedDigest)
	}
	pkgs, linked := compiled(t, repo+":latest")
	if len(pkgs) < 10 || !linked {
		t.Errorf("cold build compiled %v (linked %v): want the standard library too", pkgs, linked)
	}
	t.Logf("cold: %d packages compiled; snapshot %d bytes, saved in %.2fs", len(pkgs), m.Size, m.SaveDuration)

	same, err := run(t, load(t, dir, repo, nil), cairn.RunOptions{Push: true, NoSkip: true}) // built again
	if err != nil {
		t.Fatalf("no-change build: %v", err)
	}
	if m := mountOf(t, same, goBuildID); m.Restore != build.NotNeeded || m.Save != build.NotRun || m.RestoreDuration != 0 || m.SaveDuration != 0 {
		t.Errorf("no-change build: mount %+v, want nothing restored or saved", m)
	}
	testenv.WantTags(t, repo, tags, "no-change build moved tags")

	testenv.WriteFiles(t, dir, map[string]string{"greet/greet.go": strings.Replace(goModule["greet/greet.go"], "hello, ", "hi, ", 1)})
	edit, err := run(t, load(t, dir, repo, nil), cairn.RunOptions{Push: true})
	if err != nil {
		t.Fatalf("one-file edit: %v", err)
	}
	m = mountOf(t, edit, goBuildID)
	if m.Restore != build.Restored || m.SourceDigest != tags["cache-mount-root-.cache-go-build"] || m.Save != build.Saved || m.SavedDigest == m.SourceDigest {
		t.Errorf("one-file edit: mount %+v, want restored from the cold build's snapshot and saved anew", m)
	}
	pkgs, linked = compiled(t, repo+":latest")
	t.Logf("one-file edit: compiled %v; restored in %.2fs, saved %d bytes in %d layers (%d added) in %.2fs", pkgs, m.RestoreDuration, m.Size, m.Layers, m.Added, m.SaveDuration)
	if m.Layers != 2 || m.Added == 0 || m.Added > m.Size/10 {
		t.Errorf("one-file edit: snapshot of %d layers, %d of its %d bytes added: want one delta layer of under a tenth", m.Layers, m.Added, m.Size)
	}
	if want := []string{"example.com/app/greet", "main"}; !slices.Equal(pkgs, want) || !linked {
		t.Errorf("one-file edit compiled %v (linked %v), want %v and a link", pkgs, linked, want)
	}
	if got := testenv.Tags(t, repo)["cache-mount-root-.cache-go-build"]; got != m.SavedDigest {
		t.Errorf("one-file edit: snapshot tag at %s, want %s", got, m.SavedDigest)
	}
	var summary strings.Builder
	if err := render.Report(&summary, edit); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(summary.String(), "CACHE MOUNT") || !strings.Contains(summary.String(), "/root/.cache/go-build  restored") {
		t.Errorf("summary lacks the cache mount table:\n%s", summary.String())
	}
}

// appWithMount writes a busybox stage whose RUN appends to a cache mount,
// then a step that fails when FAIL is not 0.
func appWithMount(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{
		"Dockerfile": `FROM busybox:1.36 AS app
ARG STAMP=1
RUN --mount=type=cache,target=/var/cache/app echo "$STAMP" >> /var/cache/app/log
ARG FAIL=0
RUN test "$FAIL" = 0
`,
		"build.yaml": "version: 1\ntargets:\n  app:\n    tags: [v1]\n",
	})
	return dir
}

const appMountID, appSnapshotTag = "//var/cache/app", "cache-mount-var-cache-app"

// TestFailedBuildKeepsTheSnapshot: a build that fails after a step ran
// with the mount saves nothing: every tag, the snapshot's too, stays.
func TestFailedBuildKeepsTheSnapshot(t *testing.T) {
	repo, dir := testenv.Repo(t), appWithMount(t)
	if _, err := run(t, load(t, dir, repo, nil), cairn.RunOptions{Push: true}); err != nil {
		t.Fatalf("first build: %v", err)
	}
	before := testenv.Tags(t, repo)
	if before[appSnapshotTag] == "" {
		t.Fatalf("first build: no snapshot tag in %v", before)
	}
	report, err := run(t, load(t, dir, repo, map[string]string{"STAMP": "2", "FAIL": "1"}), cairn.RunOptions{Push: true})
	if !errors.Is(err, cairn.ErrNothingPublished) {
		t.Fatalf("failing build: %v, want ErrNothingPublished", err)
	}
	if m := mountOf(t, report, appMountID); m.Restore != build.Restored || m.Save != "" || m.SavedDigest != "" {
		t.Errorf("failing build: mount %+v, want restored, not saved", m)
	}
	testenv.WantTags(t, repo, before, "failing build changed tags")
}

// TestBrokenSnapshotIsAWarning: a snapshot whose blob is gone from the
// registry is a warning; the build goes on with an empty mount and saves
// a good snapshot in its place.
func TestBrokenSnapshotIsAWarning(t *testing.T) {
	repo, dir := testenv.Repo(t), appWithMount(t)
	if _, err := run(t, load(t, dir, repo, nil), cairn.RunOptions{Push: true}); err != nil {
		t.Fatalf("first build: %v", err)
	}
	broken := testenv.Tags(t, repo)[appSnapshotTag]
	for _, l := range testenv.Layers(t, repo+":"+appSnapshotTag) {
		testenv.DeleteBlob(t, repo+":"+appSnapshotTag, l)
	}
	report, err := run(t, load(t, dir, repo, map[string]string{"STAMP": "2"}), cairn.RunOptions{Push: true})
	if err != nil {
		t.Fatalf("build with a broken snapshot: %v", err)
	}
	testenv.ValidateReport(t, metadata(t, report))
	m := mountOf(t, report, appMountID)
	if m.Restore != build.Broken || m.SourceDigest != broken || m.Save != build.Saved || m.SavedDigest == broken {
		t.Errorf("mount %+v: want broken, then saved anew", m)
	}
	if !slices.ContainsFunc(report.Warnings, func(w cairn.Warning) bool {
		return strings.Contains(w.Message, "cache mount /var/cache/app") && strings.Contains(w.Message, "started empty")
	}) {
		t.Errorf("warnings %+v: want one about the broken snapshot", report.Warnings)
	}
	if got := testenv.Tags(t, repo)[appSnapshotTag]; got != m.SavedDigest {
		t.Errorf("snapshot tag at %s, want the new snapshot %s", got, m.SavedDigest)
	}
}

// TestTagsListSnapshots: a publish may move each carried mount's snapshot
// tag, a cache tag, after the stages' caches; with cache mounts off, none.
func TestTagsListSnapshots(t *testing.T) {
	dir := appWithMount(t)
	for _, mode := range []string{"", "off"} {
		p, err := cairn.Load(t.Context(), cairn.LoadOptions{
			Config:    filepath.Join(dir, "build.yaml"),
			Overrides: config.Overrides{Repository: "reg.test/app", CacheMounts: mode},
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, tag := range p.Tags() {
			got = append(got, fmt.Sprintf("%s %s %s%s", tag.Kind, tag.Ref, tag.Stage, tag.Mount))
		}
		want := []string{"cache reg.test/app:cache-app app", "cache reg.test/app:" + appSnapshotTag + " " + appMountID, "final reg.test/app:v1 app"}
		if mode == "off" {
			want = slices.Delete(want, 1, 2)
		}
		if !slices.Equal(got, want) {
			t.Errorf("cache mounts %q: tags %q, want %q", mode, got, want)
		}
	}
}

// TestDryRunSaysWhenSnapshotsMove: the dry run lists the snapshot tag and
// says it moves only if a step runs with the mount.
func TestDryRunSaysWhenSnapshotsMove(t *testing.T) {
	var b strings.Builder
	err := render.DryRun(&b, []cairn.PlannedMove{
		{Tag: cairn.Tag{Ref: "r/app:cache-app", Kind: push.KindCache, Stage: "app"}},
		{Tag: cairn.Tag{Ref: "r/app:" + appSnapshotTag, Kind: push.KindCache, Mount: appMountID}, Current: "sha256:1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "r/app:cache-app: (new tag) -> (this build)\n" +
		"r/app:" + appSnapshotTag + ": sha256:1 -> (this build, if a step runs with the cache mount)\n"
	if b.String() != want {
		t.Errorf("dry run:\n%s\nwant:\n%s", b.String(), want)
	}
}
