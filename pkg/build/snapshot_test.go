package build_test

import (
	"crypto/md5"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/cairn-build/cairn/internal/faultproxy"
	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/build"
)

// genDockerfile copies the context's gen/ into the cache mount, over what
// the mount holds, and removes there the paths listed in remove: a step
// that rewrites some of its cache. It sleeps first, so that it is seen
// running and stopped for the restore before it writes: a step done before
// the stop keeps its files, with the snapshot's others beside them (see
// carrier.solve), which the exact listings here would not match.
// verifyDockerfile fails unless the mount holds exactly the files whose
// checksums want.md5 lists.
const (
	genDockerfile = "FROM busybox:1.36\n" +
		"RUN --mount=type=bind,target=/src --mount=type=cache,target=/var/cache/gen " +
		"sleep 1 && cd /var/cache/gen && cp -a /src/gen/. . && xargs -r rm -rf < /src/remove\n"
	verifyDockerfile = "FROM busybox:1.36\n" +
		"RUN --mount=type=bind,target=/src --mount=type=cache,target=/var/cache/gen " +
		"cd /var/cache/gen && find . -type f | sort | xargs md5sum | diff /src/want.md5 -\n"
	genTag = "cache-mount-var-cache-gen"
)

// genTree is the files the gen step leaves in the mount, by path in it.
type genTree map[string][]byte

// write writes the tree as the context's gen/ (each file's time one hour
// after the last: a rewrite within the second still differs), the paths
// to remove, and the checksums of the tree.
func (g genTree) write(t *testing.T, dir, dockerfile string, remove []string, at time.Time) {
	t.Helper()
	gen := filepath.Join(dir, "gen")
	if err := os.RemoveAll(gen); err != nil {
		t.Fatal(err)
	}
	var sums []string
	for path, data := range g {
		p := filepath.Join(gen, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		sums = append(sums, fmt.Sprintf("%x  ./%s\n", md5.Sum(data), path))
	}
	// The copies keep the files' times: unchanged files keep theirs.
	for path := range g {
		if err := os.Chtimes(filepath.Join(gen, path), at, at); err != nil {
			t.Fatal(err)
		}
	}
	slices.SortFunc(sums, func(a, b string) int { return strings.Compare(a[34:], b[34:]) })
	files := map[string]string{
		"Dockerfile": dockerfile,
		"remove":     strings.Join(remove, "\n") + "\n",
		"want.md5":   strings.Join(sums, ""),
	}
	testenv.WriteFiles(t, dir, files)
}

func randomBytes(r *rand.ChaCha8, n int) []byte {
	b := make([]byte, n)
	_, _ = r.Read(b)
	return b
}

// TestIncrementalSnapshots: each build on a fresh daemon, the registry
// reached through a proxy that counts the bytes uploaded. A cold build
// saves the mount's 4 MiB whole; after a rewrite of one file, the
// deletion of another and a new one, the save adds one layer holding only
// those (less than a tenth of the mount's bytes uploaded); a third runner
// finds exactly the edited files (the deleted one gone), and, its step
// having changed nothing, saves nothing: no byte uploaded, the tag stays.
// A rewrite of most files saves the mount whole again.
func TestIncrementalSnapshots(t *testing.T) {
	env := testenv.Get(t)
	proxy := faultproxy.Start(env.Registry)
	t.Cleanup(proxy.Close)
	repo := testenv.Repo(t)
	proxied := proxy.Addr + strings.TrimPrefix(repo, env.Registry)
	dir := mountProject(t, genDockerfile)
	b := &mountBuild{t: t, repo: proxied, dir: dir, proxy: proxy}

	r := rand.NewChaCha8([32]byte{1})
	tree := genTree{}
	for i := range 64 {
		tree[fmt.Sprintf("d%d/f%02d", i%4, i)] = randomBytes(r, 64<<10)
	}
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	tree.write(t, dir, genDockerfile, nil, start)
	res, err := b.run(dial(t), true)
	if err != nil {
		t.Fatalf("cold build: %v", err)
	}
	cold := res.Mounts[0]
	if cold.Restore != build.Missing || cold.Save != build.Saved || cold.Layers != 1 || cold.Added != cold.Size || cold.SavedBytes != 64<<16 {
		t.Fatalf("cold build: mount %+v, want missing, then its 4 MiB saved whole", cold)
	}
	t.Logf("cold: snapshot of %d bytes in %d layer, %d bytes uploaded by the save in %s", cold.Size, cold.Layers, b.saveUploaded, cold.SaveTime)

	// One file rewritten, one removed, one added.
	tree["d1/f01"] = randomBytes(r, 64<<10)
	delete(tree, "d2/f02")
	tree["d3/new"] = []byte("new\n")
	edited := slices.Collect(maps.Keys(tree))
	tree.write(t, dir, genDockerfile, []string{"d2/f02"}, start)
	// d0/f00 only has a new mtime, as go's build cache refreshes those of
	// the entries it uses: not a change.
	for _, path := range []string{"d1/f01", "d3/new", "d0/f00"} {
		later := start.Add(time.Hour)
		if err := os.Chtimes(filepath.Join(dir, "gen", path), later, later); err != nil {
			t.Fatal(err)
		}
	}
	c := dial(t)
	res, err = b.run(c, true)
	if err != nil {
		t.Fatalf("edit: %v", err)
	}
	edit := res.Mounts[0]
	if edit.Restore != build.Restored || edit.SourceSize != cold.Size || edit.Save != build.Saved || edit.Layers != 2 ||
		edit.RestoredBytes != 64<<16 || edit.SavedBytes != 63<<16+4 {
		t.Fatalf("edit: mount %+v, want its 4 MiB restored, then saved as a delta", edit)
	}
	if limit := cold.Size / 10; b.saveUploaded > limit || edit.Added > limit {
		t.Errorf("edit: the save uploaded %d bytes (a %d-byte layer), want at most a tenth of the mount's %d", b.saveUploaded, edit.Added, cold.Size)
	}
	t.Logf("edit: snapshot of %d bytes in %d layers; the save uploaded %d bytes (its layer %d) in %s", edit.Size, edit.Layers, b.saveUploaded, edit.Added, edit.SaveTime)
	// The save's solve finds the comparison in the daemon's cache.
	if v, ok := b.vertex("[cache mount /var/cache/gen] compare with"); !ok || !v.Cached {
		t.Errorf("edit: comparison vertex %+v (found %v): want it cached in the save's solve", v, ok)
	}
	layers := testenv.Layers(t, repo+":"+genTag)
	if got, want := layerFiles(t, layers[len(layers)-1]), []string{"d1/f01", "d2/.wh.f02", "d3/new"}; !slices.Equal(got, want) {
		t.Errorf("edit: the delta layer holds the files %q, want %q", got, want)
	}
	// The same files on the same snapshot: the same delta, the same digest.
	again := *res
	again.Mounts = []build.MountResult{{ID: edit.ID, Target: edit.Target, Snapshot: edit.Snapshot, Restore: build.Restored,
		Source: edit.Source, SourceDigest: edit.SourceDigest, Ran: true}}
	if err := build.SaveMounts(t.Context(), c, &again, build.Options{Registry: access(t)}, 0); err != nil {
		t.Fatal(err)
	}
	if got := again.Mounts[0]; got.SavedDigest != edit.SavedDigest || got.Layers != 2 {
		t.Errorf("edit saved again: %s in %d layers (%s), first %s", got.SavedDigest, got.Layers, got.Note, edit.SavedDigest)
	}
	files := testenv.Files(t, testenv.Image(t, repo+":"+genTag))
	if got := slices.Sorted(maps.Keys(files)); len(got) != len(edited) || files["/d2/f02"] != "" || files["/d3/new"] != "new\n" || files["/d1/f01"] != string(tree["d1/f01"]) {
		t.Errorf("edit: the snapshot's files %v, want %d with d2/f02 removed", got, len(edited))
	}

	// A third runner finds the files; its step writes nothing.
	tree.write(t, dir, verifyDockerfile, nil, start)
	for _, path := range []string{"d1/f01", "d3/new"} {
		later := start.Add(time.Hour)
		if err := os.Chtimes(filepath.Join(dir, "gen", path), later, later); err != nil {
			t.Fatal(err)
		}
	}
	tags := testenv.Tags(t, repo)
	res, err = b.run(dial(t), true)
	if err != nil {
		t.Fatalf("verify: the restored mount is not the edited one: %v", err)
	}
	if m := res.Mounts[0]; m.Restore != build.Restored || m.Save != build.Unchanged || m.SavedDigest != "" || b.saveUploaded != 0 {
		t.Errorf("verify: mount %+v, %d bytes uploaded by the save: want restored, unchanged, nothing uploaded", m, b.saveUploaded)
	}
	t.Logf("verify: restored %d bytes in %s; unchanged, compared in %s", res.Mounts[0].SourceSize, res.Mounts[0].RestoreTime, res.Mounts[0].SaveTime)
	if got := testenv.Tags(t, repo)[genTag]; got != tags[genTag] {
		t.Errorf("verify: snapshot tag moved to %s from %s", got, tags[genTag])
	}

	// Most files rewritten: compacted.
	for i := range 48 {
		if path := fmt.Sprintf("d%d/f%02d", i%4, i); tree[path] != nil {
			tree[path] = randomBytes(r, 64<<10)
		}
	}
	tree.write(t, dir, genDockerfile, nil, start.Add(2*time.Hour))
	res, err = b.run(dial(t), true)
	if err != nil {
		t.Fatalf("rewrite: %v", err)
	}
	if m := res.Mounts[0]; m.Save != build.Saved || m.Layers != 1 || !strings.Contains(m.Note, "saved whole") {
		t.Errorf("rewrite: mount %+v, want saved whole", m)
	}
}

// TestSnapshotFromAFallback: a mount restored from its fallback (a main
// branch's snapshot) whose step changed nothing gets the fallback's layers
// as its own snapshot, nothing added; the next runner restores it from
// there, and its step's new file makes a delta on those layers.
func TestSnapshotFromAFallback(t *testing.T) {
	repo := testenv.Repo(t)
	pushSnapshot(t, repo+":cache-mount-main-cache", map[string]string{"hello.txt": "from main\n"})
	dir := mountProject(t, "FROM busybox:1.36\nRUN --mount=type=cache,target=/cache grep -qx 'from main' /cache/hello.txt\n")
	yaml := "version: 1\ncache:\n  mounts:\n    fallback: [\"{repository}:cache-mount-main-{mount}\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "build.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	b := &mountBuild{t: t, repo: repo, dir: dir}
	res, err := b.run(dial(t), true)
	if err != nil {
		t.Fatalf("first build: %v", err)
	}
	m := res.Mounts[0]
	if m.Source != repo+":cache-mount-main-cache" || m.Save != build.Saved || m.Layers != 1 || m.Added != 0 {
		t.Fatalf("first build: mount %+v, want restored from the fallback, saved as its layers", m)
	}
	if tags := testenv.Tags(t, repo); tags["cache-mount-cache"] != m.SavedDigest {
		t.Errorf("tags %v: want cache-mount-cache at %s", tags, m.SavedDigest)
	}

	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox:1.36\n"+
		"RUN --mount=type=cache,target=/cache grep -qx 'from main' /cache/hello.txt && echo mine > /cache/mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = b.run(dial(t), true)
	if err != nil {
		t.Fatalf("second build: %v", err)
	}
	if m := res.Mounts[0]; m.Source != repo+":cache-mount-cache" || m.Save != build.Saved || m.Layers != 2 {
		t.Errorf("second build: mount %+v, want restored from its own snapshot, saved as a delta", m)
	}
	files := testenv.Files(t, testenv.Image(t, repo+":cache-mount-cache"))
	if want := map[string]string{"/hello.txt": "from main\n", "/mine": "mine\n"}; !maps.Equal(files, want) {
		t.Errorf("snapshot files %v, want %v", files, want)
	}
}

// layerFiles are the paths of the regular files (whiteouts included) of
// layer, sorted.
func layerFiles(t *testing.T, layer v1.Layer) []string {
	t.Helper()
	var files []string
	for path := range testenv.LayerFiles(t, layer) {
		files = append(files, strings.TrimPrefix(path, "/"))
	}
	slices.Sort(files)
	return files
}

// TestDeltaOfEveryKindOfChange: a delta snapshot (on a 200 kB file that
// stays) carries a file that
// became a directory and one that was a directory, a symlink pointed
// elsewhere, a removed tree, new nested directories and a name with a
// space; a fresh runner restores exactly that tree, and with its step
// changing nothing saves nothing.
func TestDeltaOfEveryKindOfChange(t *testing.T) {
	steps := []string{
		`head -c 200000 /dev/urandom > filler && mkdir -p b gone/deep && echo a > a && echo y > b/y && echo g > gone/deep/g && ln -s a l && echo s > "sp ace"`,
		`rm a && mkdir a && echo x > a/x && rm -r b && echo b > b && ln -sfn b l && rm -r gone && mkdir -p n/m && echo o > n/m/o && echo s2 > "sp ace"`,
		`test "$(cat a/x)" = x && test "$(cat b)" = b && test "$(readlink l)" = b && test ! -e gone && test "$(cat n/m/o)" = o && ` +
			`test "$(cat "sp ace")" = s2 && test "$(find . | sort | tr '\n' ' ')" = ". ./a ./a/x ./b ./filler ./l ./n ./n/m ./n/m/o ./sp ace "`,
	}
	repo := testenv.Repo(t)
	dir := mountProject(t, "")
	b := &mountBuild{t: t, repo: repo, dir: dir}
	var got []build.MountResult
	for i, step := range steps {
		df := "FROM busybox:1.36\nRUN --mount=type=cache,target=/var/cache/kinds cd /var/cache/kinds && " + step + "\n"
		if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := b.run(dial(t), true)
		if err != nil {
			t.Fatalf("step %d: %v", i+1, err)
		}
		got = append(got, res.Mounts[0])
	}
	if m := got[1]; m.Save != build.Saved || m.Layers != 2 {
		t.Errorf("changes: mount %+v, want saved as a delta", m)
	}
	if m := got[2]; m.Restore != build.Restored || m.Save != build.Unchanged {
		t.Errorf("check: mount %+v, want restored and unchanged", m)
	}
}
