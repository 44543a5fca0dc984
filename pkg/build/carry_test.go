package build_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/moby/buildkit/client"

	"github.com/cairn-build/cairn/internal/faultproxy"
	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/push"
)

// mountProject writes a Dockerfile and an empty build.yaml.
func mountProject(t *testing.T, dockerfile string) string {
	t.Helper()
	return testenv.WriteDir(t, map[string]string{"Dockerfile": dockerfile, "build.yaml": "version: 1\n"})
}

// pushSnapshot writes a one-layer image holding files to ref, as a
// snapshot of a cache mount.
func pushSnapshot(t *testing.T, ref string, files map[string]string) {
	t.Helper()
	base, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{OS: "linux", Architecture: runtime.GOARCH, RootFS: v1.RootFS{Type: "layers"}})
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(base, testenv.FileLayer(t, files))
	if err != nil {
		t.Fatal(err)
	}
	testenv.Push(t, ref, img)
}

// mountBuild builds dir on the daemon at addr with its repository set to
// repo, collecting the vertex names of the progress; with push it also
// saves the cache mounts and commits.
type mountBuild struct {
	t        *testing.T
	dir      string
	repo     string
	mu       sync.Mutex
	vertices map[string]client.Vertex // by name: the last state seen
	warnings []string
	// proxy, when repo is reached through it, counts the bytes SaveMounts
	// uploads: saveUploaded.
	proxy        *faultproxy.Proxy
	saveUploaded int64
}

func (b *mountBuild) run(c *client.Client, push_ bool) (*build.Result, error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cfg, plan := planFor(b.t, b.dir, config.Overrides{Repository: b.repo})
	status := make(chan *client.SolveStatus)
	done := make(chan struct{})
	b.vertices = map[string]client.Vertex{}
	go func() {
		defer close(done)
		for st := range status {
			b.mu.Lock()
			for _, v := range st.Vertexes {
				b.vertices[v.Name] = *v
			}
			for _, w := range st.Warnings {
				b.warnings = append(b.warnings, string(w.Short))
			}
			b.mu.Unlock()
		}
	}()
	defer func() { close(status); <-done }()
	opts := build.Options{
		Context: cfg.Context, Dockerfile: cfg.Dockerfile, Args: cfg.Args,
		CacheMode: cfg.CacheMode, Push: push_, Registry: access(b.t), Status: status,
	}
	res, err := build.Run(ctx, c, plan, opts)
	if err != nil || !push_ {
		return res, err
	}
	var before int64
	if b.proxy != nil {
		before = b.proxy.UploadedBytes()
	}
	if err := build.SaveMounts(ctx, c, res, opts, cfg.CacheMounts.MaxSize); err != nil {
		return res, err
	}
	if b.proxy != nil {
		b.saveUploaded = b.proxy.UploadedBytes() - before
	}
	_, err = push.Commit(ctx, access(b.t), movesOf(res))
	return res, err
}

func (b *mountBuild) vertex(prefix string) (client.Vertex, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for name, v := range b.vertices {
		if strings.HasPrefix(name, prefix) {
			return v, true
		}
	}
	return client.Vertex{}, false
}

func dial(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.New(t.Context(), testenv.NewDaemon(t).Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestRestoredMountIsSeenByRun: on a fresh daemon, a Dockerfile RUN finds
// in its cache mount the files of the mount's snapshot, whatever the
// mount's sharing; the restore shows in the progress as a vertex of its
// own.
func TestRestoredMountIsSeenByRun(t *testing.T) {
	for _, sharing := range []string{"shared", "private", "locked"} {
		t.Run(sharing, func(t *testing.T) {
			repo := testenv.Repo(t)
			pushSnapshot(t, repo+":cache-mount-cache", map[string]string{"hello.txt": "from the snapshot\n"})
			b := &mountBuild{t: t, repo: repo, dir: mountProject(t, "FROM busybox:1.36\n"+
				"RUN --mount=type=cache,target=/cache,sharing="+sharing+" grep -qx 'from the snapshot' /cache/hello.txt\n")}
			res, err := b.run(dial(t), false)
			if err != nil {
				t.Fatalf("build: %v", err)
			}
			if len(res.Mounts) != 1 {
				t.Fatalf("mounts %+v, want one", res.Mounts)
			}
			m := res.Mounts[0]
			if m.ID != "//cache" || m.Restore != build.Restored || !m.Ran || m.Source != repo+":cache-mount-cache" || m.SourceDigest == "" {
				t.Errorf("mount %+v: want //cache restored from its snapshot, run with", m)
			}
			v, ok := b.vertex("[cache mount /cache] restore from " + repo + ":cache-mount-cache")
			if !ok || v.Completed == nil || v.Error != "" {
				t.Errorf("restore vertex %+v (found %v): want it done without error", v, ok)
			}
		})
	}
}

// TestOnlyAStepThatMountsItRestoresIt: on a daemon that has the first
// steps cached, a build restores the mount of the step that runs and not
// that of the step that comes from the cache, though other steps run: the
// mounts of a step are read from the solve's LLB by its vertex's digest.
func TestOnlyAStepThatMountsItRestoresIt(t *testing.T) {
	repo := testenv.Repo(t)
	pushSnapshot(t, repo+":cache-mount-a", map[string]string{"a": "a\n"})
	pushSnapshot(t, repo+":cache-mount-b", map[string]string{"b": "b\n"})
	dir := mountProject(t, "FROM busybox:1.36\nRUN --mount=type=cache,target=/a cat /a/a\nCOPY f /f\nRUN --mount=type=cache,target=/b cat /b/b /f\n")
	b, c := &mountBuild{t: t, repo: repo, dir: dir}, dial(t)
	for i, content := range []string{"first\n", "second\n"} {
		if err := os.WriteFile(filepath.Join(dir, "f"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := b.run(c, false)
		if err != nil {
			t.Fatalf("build %d: %v", i+1, err)
		}
		got := map[string]build.RestoreState{}
		for _, m := range res.Mounts {
			got[m.Target] = m.Restore
		}
		want := map[string]build.RestoreState{"/a": build.Restored, "/b": build.Restored}
		if i == 1 {
			want["/a"] = build.NotNeeded // its RUN is cached; the COPY and the last RUN are not
		}
		if !maps.Equal(got, want) {
			t.Errorf("build %d: restores %v, want %v", i+1, got, want)
		}
	}
}

// TestSavedMountTravels: a publishing build saves what its RUN wrote in a
// cache mount; saving the same files again gives the same digest, and
// over maxSize gives no digest to move; a fresh runner's RUN then finds
// them, and a RUN that only reads them saves nothing. A build whose RUN
// is cached restores and saves nothing.
func TestSavedMountTravels(t *testing.T) {
	repo := testenv.Repo(t)
	dir := mountProject(t, "FROM busybox:1.36\n"+
		"RUN --mount=type=cache,target=/var/cache/app echo one > /var/cache/app/one\n")
	b := &mountBuild{t: t, repo: repo, dir: dir}
	c := dial(t)
	res, err := b.run(c, true)
	if err != nil {
		t.Fatalf("first build: %v", err)
	}
	m := res.Mounts[0]
	if m.Restore != build.Missing || m.Save != build.Saved || m.SavedDigest == "" || m.Size == 0 {
		t.Fatalf("first build: mount %+v, want missing then saved", m)
	}
	if m.SavedBytes != int64(len("one\n")) {
		t.Errorf("first build: %d bytes saved, want the 4 of its one file", m.SavedBytes)
	}
	ref := repo + ":cache-mount-var-cache-app"
	if tags := testenv.Tags(t, repo); tags["cache-mount-var-cache-app"] != m.SavedDigest {
		t.Errorf("registry tags %v: want %s at %s", tags, ref, m.SavedDigest)
	}
	if _, ok := b.vertex("[cache mount /var/cache/app] save to " + ref); !ok {
		t.Error("no save vertex in the progress")
	}
	unsaved := build.MountResult{ID: m.ID, Target: m.Target, Snapshot: m.Snapshot, Restore: build.Missing, Ran: true}
	again := *res
	again.Mounts = []build.MountResult{unsaved}
	ctx := t.Context()
	if err := build.SaveMounts(ctx, c, &again, build.Options{Registry: access(t)}, 0); err != nil {
		t.Fatal(err)
	}
	if got := again.Mounts[0]; got.SavedDigest != m.SavedDigest {
		t.Errorf("the same files saved again: %s (%s), first %s", got.SavedDigest, got.Note, m.SavedDigest)
	}
	capped := again
	capped.Mounts = []build.MountResult{unsaved}
	if err := build.SaveMounts(ctx, c, &capped, build.Options{Registry: access(t)}, 1); err != nil {
		t.Fatal(err)
	}
	if got := capped.Mounts[0]; got.Save != build.TooBig || got.SavedDigest != "" || got.Size != m.Size {
		t.Errorf("saved with maxSize 1: mount %+v, want too big, %d bytes, no digest to move", got, m.Size)
	}

	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox:1.36\n"+
		"RUN --mount=type=cache,target=/var/cache/app echo one > /var/cache/app/one\n"+
		"RUN --mount=type=cache,target=/var/cache/app grep -qx one /var/cache/app/one\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = b.run(dial(t), true)
	if err != nil {
		t.Fatalf("second build: %v", err)
	}
	// The grep ran with the mount and changed nothing: no save.
	if m := res.Mounts[0]; m.Restore != build.Restored || m.SourceDigest != again.Mounts[0].SavedDigest || m.Save != build.Unchanged ||
		m.RestoredBytes != 4 || m.SavedBytes != 4 {
		t.Errorf("second build: mount %+v, want restored and unchanged, 4 bytes each way", m)
	}

	res, err = b.run(dial(t), true)
	if err != nil {
		t.Fatalf("third build: %v", err)
	}
	if m := res.Mounts[0]; m.Restore != build.NotNeeded || m.Ran || m.Save != build.NotRun {
		t.Errorf("cached build: mount %+v, want not restored, not saved", m)
	}
	if _, ok := b.vertex("[cache mount"); ok {
		t.Errorf("cached build: a cache mount vertex in the progress: %v", b.vertices)
	}
}
