package cairn_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/push"
)

// fakeDaemon stands in for BuildKit in -short tests of Run: it solves a
// Dockerfile stage by making an image of its name (pushed by digest where
// the image exporter says, written where an OCI layout export says), runs
// each stage's cache-mount step (reporting its RUN vertex), and records
// every solve in the order it came, with what the registry held then.
type fakeDaemon struct {
	reg *fakeRegistry
	// fail are solves' errors by what the solve does ("build app",
	// "layout app", "save mount"), as the log names it.
	fail map[string]error
	// block holds the stage's solve, or the solve it names as the log
	// does ("save mount"), until its context ends.
	block string
	// after holds the solve each key names until the solve its value
	// names has begun, and fails it when that has not happened in 10 s.
	after map[string]string
	// noWorkers is a daemon without a worker; noPush stages nothing.
	noWorkers, noPush bool
	// workersErr is ListWorkers' error.
	workersErr error

	mu     sync.Mutex
	events []string
}

func (d *fakeDaemon) ListWorkers(context.Context, ...client.ListWorkersOption) ([]*client.WorkerInfo, error) {
	if d.noWorkers || d.workersErr != nil {
		return nil, d.workersErr
	}
	return []*client.WorkerInfo{{ID: "fake", Platforms: []ocispecs.Platform{{OS: "linux", Architecture: "amd64"}}}}, nil
}

func (d *fakeDaemon) Solve(ctx context.Context, def *llb.Definition, opt client.SolveOpt, status chan *client.SolveStatus) (*client.SolveResponse, error) {
	if status != nil {
		defer close(status)
	}
	stage := opt.FrontendAttrs["target"]
	what := "build " + stage
	switch {
	case def != nil && len(opt.Exports) > 0 && opt.Exports[0].Type == client.ExporterImage:
		what = "save mount"
	case def != nil:
		what = "restore mount"
	case len(opt.Exports) > 0 && opt.Exports[0].Type == client.ExporterOCI:
		what = "layout " + stage
	}
	d.record(fmt.Sprintf("%s (tags: %d)", what, len(d.reg.tags())))
	if (stage == d.block && stage != "") || what == d.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if err := d.fail[what]; err != nil {
		return nil, err
	}
	if first := d.after[what]; first != "" {
		if err := d.await(ctx, first); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
	}
	if stage != "" && status != nil && strings.HasPrefix(what, "build") {
		now := time.Now()
		status <- &client.SolveStatus{Vertexes: []*client.Vertex{{
			Digest: digest.FromString(stage), Name: "[" + stage + " 2/2] RUN --mount=type=cache,target=/var/cache/app echo x",
			Started: &now, Completed: &now,
		}}}
	}
	img, err := mutate.Config(empty.Image, v1.Config{Labels: map[string]string{"stage": stage, "what": what}})
	if err != nil {
		return nil, err
	}
	dgst, err := img.Digest()
	if err != nil {
		return nil, err
	}
	for _, e := range opt.Exports {
		if err := d.export(e, img); err != nil {
			return nil, err
		}
	}
	return &client.SolveResponse{ExporterResponse: map[string]string{"containerimage.digest": dgst.String()}}, nil
}

func (d *fakeDaemon) export(e client.ExportEntry, img v1.Image) error {
	switch {
	case e.Type == client.ExporterOCI && e.OutputDir != "":
		p, err := layout.Write(e.OutputDir, empty.Index)
		if err != nil {
			return err
		}
		return p.AppendImage(img)
	case e.Type == client.ExporterImage && e.Attrs["push"] == "true" && !d.noPush:
		dgst, err := img.Digest()
		if err != nil {
			return err
		}
		for _, repo := range strings.Split(e.Attrs["name"], ",") {
			ref, err := name.NewDigest(repo+"@"+dgst.String(), name.Insecure)
			if err != nil {
				return err
			}
			if err := remote.Write(ref, img); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *fakeDaemon) record(event string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.events = append(d.events, event)
}

// await returns once a solve the log names what (tags aside) has begun.
func (d *fakeDaemon) await(ctx context.Context, what string) error {
	deadline := time.After(10 * time.Second)
	for {
		if slices.ContainsFunc(d.log(), func(e string) bool { return strings.HasPrefix(e, what+" (") }) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return fmt.Errorf("%s has not begun", what)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (d *fakeDaemon) log() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.events...)
}

// fakeRegistry is ggcr's in-process registry, on loopback (so reached
// over plain HTTP), with the repository a test's project publishes to.
type fakeRegistry struct {
	repo string

	mu     sync.Mutex
	refuse func(method, path string, body []byte) bool // see refuseWhen
}

func newFakeRegistry(t *testing.T) *fakeRegistry {
	t.Helper()
	r := &fakeRegistry{}
	h := ggcrregistry.New(ggcrregistry.Logger(discardLogger()))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil || r.refuses(req.Method, req.URL.Path, body) {
			http.Error(w, `{"errors":[{"code":"DENIED","message":"refused by the test"}]}`, http.StatusForbidden)
			return
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.repo = strings.TrimPrefix(srv.URL, "http://") + "/app"
	return r
}

// refuseWhen makes the registry answer 403 to the requests f matches: a
// registry fault at one step of a publish.
func (r *fakeRegistry) refuseWhen(f func(method, path string, body []byte) bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refuse = f
}

func (r *fakeRegistry) refuses(method, path string, body []byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refuse != nil && r.refuse(method, path, body)
}

// tags are the repository's published tags and their digests: all but
// the commit record, which a publish takes while its checks run, also
// when it then fails (see allTags).
func (r *fakeRegistry) tags() map[string]string {
	all := r.allTags()
	delete(all, push.RecordTag)
	return all
}

// allTags are the repository's tags and their digests, the commit
// record's too.
func (r *fakeRegistry) allTags() map[string]string {
	repo, err := name.NewRepository(r.repo, name.Insecure)
	if err != nil {
		return nil
	}
	names, err := remote.List(repo)
	if err != nil {
		return map[string]string{}
	}
	out := map[string]string{}
	for _, tag := range names {
		if desc, err := remote.Head(repo.Tag(tag)); err == nil {
			out[tag] = desc.Digest.String()
		}
	}
	return out
}

// project loads a one-stage Dockerfile whose RUN uses a cache mount,
// published to the fake registry with the tag v1, and with build.yaml's
// extra (e.g. checks), on this machine's platform.
func (r *fakeRegistry) project(t *testing.T, dockerfile, targetYAML string) *cairn.Project {
	t.Helper()
	return r.projectWith(t, dockerfile, targetYAML, nil)
}

// projectWith is project with the overrides set changes. The environment
// is empty: no CI variable of the machine's decides the tier.
func (r *fakeRegistry) projectWith(t *testing.T, dockerfile, targetYAML string, set func(*config.Overrides)) *cairn.Project {
	t.Helper()
	dir := t.TempDir()
	if dockerfile == "" {
		dockerfile = "FROM busybox:1.36 AS app\nRUN --mount=type=cache,target=/var/cache/app echo x\n"
	}
	files := map[string]string{
		"Dockerfile": dockerfile,
		"build.yaml": "version: 1\ntargets:\n  app:\n    tags: [v1]\n" + targetYAML,
	}
	testenv.WriteFiles(t, dir, files)
	o := config.Overrides{Repository: r.repo, CacheMode: config.CacheInline}
	if set != nil {
		set(&o)
	}
	p, err := cairn.Load(t.Context(), cairn.LoadOptions{
		Config:          filepath.Join(dir, "build.yaml"),
		Overrides:       o,
		Env:             func(string) (string, bool) { return "", false },
		SourceDateEpoch: cairn.EpochOff,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}
