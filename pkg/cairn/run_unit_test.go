package cairn_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/push"
	"github.com/cairn-build/cairn/pkg/registry"
	"github.com/cairn-build/cairn/pkg/sign"
)

func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }

// passingChecks lint the Dockerfile (its findings warnings) and check the
// image for a file it does not have.
const passingChecks = "    checks:\n      lint: {}\n      files:\n        - path: /nope\n          exists: false\n"

// fastAccess reaches the fake registry with quick retries.
func fastAccess(t *testing.T) *registry.Access {
	t.Helper()
	reg, err := registry.New(registry.WithRetryBackoff(remote.Backoff{Duration: time.Millisecond, Factor: 1, Steps: 2}))
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func runFake(t *testing.T, ctx context.Context, d *fakeDaemon, p *cairn.Project) (*cairn.Report, error) {
	t.Helper()
	return cairn.Run(ctx, cairn.On(d), p, cairn.RunOptions{Push: true, Registry: fastAccess(t)})
}

// TestRunOrder: a publish lints, builds, writes the image its checks read,
// saves the cache mount its step ran with, and only then moves the tags:
// the snapshot's with the others, in the one commit.
func TestRunOrder(t *testing.T) {
	reg := newFakeRegistry(t)
	d := &fakeDaemon{reg: reg}
	report, err := runFake(t, t.Context(), d, reg.project(t, "", passingChecks))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"build app (tags: 0)", "layout app (tags: 0)", "save mount (tags: 0)"}
	if got := d.log(); !slices.Equal(got, want) {
		t.Errorf("solves %q, want %q", got, want)
	}
	if len(report.Checks) != 1 || len(report.Checks[0].Lint) == 0 || len(report.Checks[0].Results) != 1 || !report.Checks[0].Results[0].Passed {
		t.Errorf("checks %+v, want the lint's findings and the passed file check", report.Checks)
	}
	if len(report.Mounts) != 1 || report.Mounts[0].Save != build.Saved {
		t.Errorf("mounts %+v, want the one mount saved", report.Mounts)
	}
	tags := reg.allTags()
	for _, tag := range []string{"v1", "cache-app", "cache-mount-var-cache-app", push.RecordTag} {
		if tags[tag] == "" {
			t.Errorf("no tag %s after the commit: %v", tag, tags)
		}
	}
	if tags["cache-mount-var-cache-app"] != report.Mounts[0].SavedDigest {
		t.Errorf("snapshot tag at %s, want the saved %s", tags["cache-mount-var-cache-app"], report.Mounts[0].SavedDigest)
	}
}

// TestRunSavesAMountOnceItsStagesAreBuilt: the save of a cache mount
// begins as soon as the last stage that mounts it is built, while the
// stages after it build, and is committed with them.
func TestRunSavesAMountOnceItsStagesAreBuilt(t *testing.T) {
	reg := newFakeRegistry(t)
	d := &fakeDaemon{reg: reg, after: map[string]string{"build app": "save mount"}}
	dockerfile := "FROM busybox:1.36 AS deps\nRUN --mount=type=cache,target=/var/cache/app echo x\n" +
		"FROM busybox:1.36 AS app\nCOPY --from=deps /etc/passwd /x\n"
	report, err := runFake(t, t.Context(), d, reg.project(t, dockerfile, ""))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"build deps (tags: 0)", "build app (tags: 0)", "save mount (tags: 0)"}
	if got := d.log(); !slices.Equal(got[:1], want[:1]) || !slices.Equal(slices.Sorted(slices.Values(got[1:])), want[1:]) {
		t.Errorf("solves %q, want deps built, then app and the save side by side", got)
	}
	if len(report.Mounts) != 1 || report.Mounts[0].Save != build.Saved ||
		reg.allTags()["cache-mount-var-cache-app"] != report.Mounts[0].SavedDigest {
		t.Errorf("mounts %+v, tags %v: want the mount saved and its tag moved", report.Mounts, reg.allTags())
	}
}

// TestRunFailuresBeforeTheCommitPublishNothing walks every way a publish
// can fail before its commit: each error matches ErrNothingPublished, and
// no tag was created or moved (the commit record may be: it is taken while
// the checks run, and freed).
func TestRunFailuresBeforeTheCommitPublishNothing(t *testing.T) {
	boom := errors.New("boom")
	isTag := func(tag string) func(string, string, []byte) bool {
		return func(_, path string, _ []byte) bool { return strings.HasSuffix(path, "/manifests/"+tag) }
	}
	isStamp := func(method, _ string, body []byte) bool {
		return method == http.MethodPut && bytes.Contains(body, []byte(registry.ArtifactType(registry.ArtifactTierStamp)))
	}
	tiered := func(o *config.Overrides) { o.Branch, o.CacheRef = "main", "{repository}:cache-{branch}-{stage}" }
	tests := []struct {
		name    string
		want    string // in the error: the path it failed on
		checks  string
		daemon  func(*fakeDaemon)
		project func(*testing.T, *fakeRegistry) *cairn.Project
		opts    func(*cairn.RunOptions)
		builder func(cairn.Builder) cairn.Builder
		refuse  func(method, path string, body []byte) bool // the registry's fault
		solves  int                                         // how many solves ran, at most
		// saved: a save of the cache mount ran, as it does once the stage
		// that mounts it is built: beside the checks, before the publish
		// step. early: the failure comes after the stage is built, so the
		// save may have begun before it was stopped
		// (TestRunCheckFailureMovesNothing holds one there).
		saved, early bool
	}{
		{name: "options: a registry mirror is not a host", want: "registry mirror", opts: func(o *cairn.RunOptions) { o.Registry = nil },
			project: func(t *testing.T, r *fakeRegistry) *cairn.Project {
				p := r.project(t, "", "")
				p.Config.RegistryMirrors = map[string][]string{"docker.io": {"https://mirror.example.com/hub"}}
				return p
			}},
		{name: "preflight: a secret's variable is not set", want: "CAIRN_TEST_UNSET_VARIABLE is not set", project: func(t *testing.T, r *fakeRegistry) *cairn.Project {
			p := r.project(t, "", "")
			p.Config.Solve.Secrets = []config.Secret{{ID: "token", Env: "CAIRN_TEST_UNSET_VARIABLE"}}
			return p
		}},
		{name: "preflight: nothing to publish", want: "nothing to publish", project: func(t *testing.T, r *fakeRegistry) *cairn.Project {
			p := r.project(t, "FROM busybox:1.36 AS app\n", "")
			p.Config.CacheMode, p.Plan.Stages[0].Tags = "off", nil
			return p
		}},
		{name: "preflight: final tags the build may not move", want: "final tags held", project: func(t *testing.T, r *fakeRegistry) *cairn.Project {
			p := r.project(t, "", "")
			p.Config.Release = config.ReleaseHold{Reason: "a pull request build", Held: p.Plan.Stages[0].Tags}
			return p
		}},
		{name: "preflight: a no-cache filter names no stage", want: "is none of the stages", project: func(t *testing.T, r *fakeRegistry) *cairn.Project {
			p := r.project(t, "", "")
			p.Config.Solve.NoCacheFilter = []string{"nope"}
			return p
		}},
		{name: "preflight: load without a Docker engine", want: "no Docker engine reachable", project: func(t *testing.T, r *fakeRegistry) *cairn.Project {
			p := r.project(t, "", "")
			t.Setenv("PATH", t.TempDir()) // no docker CLI
			p.Config.Solve.Load = true
			return p
		}},
		{name: "push access: the registry cannot be reached", want: "check push access", project: func(t *testing.T, r *fakeRegistry) *cairn.Project {
			p := r.project(t, "", "")
			p.Plan.Stages[0].Tags = []string{"127.0.0.1:1/app:v1"}
			return p
		}},
		{name: "sign: the key file is missing", want: "absent.key: open", project: func(t *testing.T, r *fakeRegistry) *cairn.Project {
			p := r.project(t, "", "")
			p.Config.Sign.Key = filepath.Join(t.TempDir(), "absent.key")
			return p
		}},
		{name: "sign: the key's password is not set", want: "$CAIRN_TEST_UNSET_VARIABLE is not set", project: func(t *testing.T, r *fakeRegistry) *cairn.Project {
			p := r.project(t, "", "")
			p.Config.Sign = config.Sign{Key: testenv.CosignKey(t, "pw"), PasswordEnv: "CAIRN_TEST_UNSET_VARIABLE"}
			return p
		}},
		{name: "sign: the registry refuses the signature", want: "put the referrer", solves: 2, saved: true,
			refuse: func(method, _ string, body []byte) bool {
				return method == http.MethodPut && bytes.Contains(body, []byte(`"artifactType":"`+sign.BundleMediaType+`"`))
			},
			project: func(t *testing.T, r *fakeRegistry) *cairn.Project {
				p := r.project(t, "", "")
				p.Config.Sign = config.Sign{Key: testenv.CosignKey(t, "")}
				return p
			}},
		{name: "recover: the commit record cannot be read", want: "read commit record", refuse: isTag(push.RecordTag)},
		{name: "daemon: no worker", want: "no worker to build on", daemon: func(d *fakeDaemon) { d.noWorkers = true }},
		{name: "daemon: its workers cannot be listed", want: "list the daemon's workers", daemon: func(d *fakeDaemon) { d.workersErr = boom }},
		{name: "checks: no temp dir for their layouts", want: "checks' directory", checks: passingChecks, project: func(t *testing.T, r *fakeRegistry) *cairn.Project {
			p := r.project(t, "", passingChecks)
			t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
			return p
		}},
		{name: "build: no temp dir for a mode=max cache", want: "the mode=max cache's directory", solves: 0, project: func(t *testing.T, r *fakeRegistry) *cairn.Project {
			p := r.projectWith(t, "", "", func(o *config.Overrides) { o.CacheMode = config.CacheMax })
			t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
			return p
		}},
		{name: "lint: an error-level finding", want: "checks failed", checks: "    checks:\n      lint:\n        severity: { CAIRN002: error }\n"},
		{name: "build: a stage fails", want: "stage app: boom", daemon: func(d *fakeDaemon) { d.fail = map[string]error{"build app": boom} }, solves: 1},
		{name: "checks: the image's layout cannot be written", want: "export the image for its checks", checks: passingChecks, daemon: func(d *fakeDaemon) { d.fail = map[string]error{"layout app": boom} }, solves: 2},
		{name: "checks: a check fails", want: "1 checks failed", checks: "    checks:\n      files:\n        - path: /nope\n", solves: 3, early: true},
		{name: "local: the image ID file cannot be written", want: "Overrides.Docker.IIDFile", solves: 2, early: true, project: func(t *testing.T, r *fakeRegistry) *cairn.Project {
			return r.projectWith(t, "", "", func(o *config.Overrides) { o.Docker.IIDFile = filepath.Join(t.TempDir(), "missing", "iid") })
		}},
		{name: "publish: the tier stamp cannot be staged", want: "stage tier stamp", refuse: isStamp, solves: 2, saved: true,
			project: func(t *testing.T, r *fakeRegistry) *cairn.Project { return r.projectWith(t, "", "", tiered) }},
		{name: "publish: a stage staged no cache for its cache ref", want: "staged nothing for it", builder: func(b cairn.Builder) cairn.Builder { return noCacheStaged{b} }, solves: 2, saved: true},
		{name: "build: the image was not staged", want: "read the image config", daemon: func(d *fakeDaemon) { d.noPush = true }, solves: 1},
		{name: "commit: a tag's current digest cannot be read", want: "read current digest", refuse: isTag("v1"), solves: 2, saved: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := newFakeRegistry(t)
			d := &fakeDaemon{reg: reg}
			if tt.daemon != nil {
				tt.daemon(d)
			}
			var p *cairn.Project
			if tt.project != nil {
				p = tt.project(t, reg)
			} else {
				p = reg.project(t, "", tt.checks)
			}
			opts := cairn.RunOptions{Push: true, Registry: fastAccess(t)}
			if tt.opts != nil {
				tt.opts(&opts)
			}
			var b cairn.Builder = cairn.On(d)
			if tt.builder != nil {
				b = tt.builder(b)
			}
			reg.refuseWhen(tt.refuse)
			_, err := cairn.Run(t.Context(), b, p, opts)
			if !errors.Is(err, cairn.ErrNothingPublished) || !strings.Contains(fmt.Sprint(err), tt.want) {
				t.Errorf("error %v, want one saying %q, matching ErrNothingPublished", err, tt.want)
			}
			reg.refuseWhen(nil)
			if tags := reg.tags(); len(tags) > 0 {
				t.Errorf("tags %v after a failed publish, want none", tags)
			}
			if got := d.log(); len(got) > tt.solves || !tt.early && slices.Contains(got, "save mount (tags: 0)") != tt.saved {
				t.Errorf("solves %q, want at most %d, the mount saved: %v", got, tt.solves, tt.saved)
			}
		})
	}
}

// noCacheStaged is a builder whose stages staged no cache manifest for
// their cache refs.
type noCacheStaged struct{ cairn.Builder }

func (b noCacheStaged) Build(ctx context.Context, p *cairn.Project, bo build.Options, log *slog.Logger) (*build.Result, error) {
	res, err := b.Builder.Build(ctx, p, bo, log)
	for i := range res.Stages {
		res.Stages[i].CacheDigest = ""
	}
	return res, err
}

// TestRunCanceled: a publish canceled while a stage builds stops there:
// its error is the cancellation and matches ErrNothingPublished, and
// nothing is saved or published.
func TestRunCanceled(t *testing.T) {
	reg := newFakeRegistry(t)
	d := &fakeDaemon{reg: reg, block: "app"}
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		for len(d.log()) == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	report, err := runFake(t, ctx, d, reg.project(t, "", passingChecks))
	if !errors.Is(err, context.Canceled) || !errors.Is(err, cairn.ErrNothingPublished) {
		t.Errorf("error %v, want the cancellation, matching ErrNothingPublished", err)
	}
	if report == nil || len(report.Stages) != 1 || report.Stages[0].Status == cairn.StageOK {
		t.Errorf("report %+v, want the stage not built", report)
	}
	if got := d.log(); len(got) != 1 {
		t.Errorf("solves %q, want the one canceled", got)
	}
	if tags := reg.tags(); len(tags) > 0 {
		t.Errorf("tags %v after a canceled publish", tags)
	}
}

// TestRunCheckFailureMovesNothing: a cache mount's save begins once the
// stage that mounts it is built, and is still running when the image of
// the stage after it is checked; the check fails: the save is stopped, no
// mount is reported saved and no tag moves, though the images and their
// caches were staged by digest.
func TestRunCheckFailureMovesNothing(t *testing.T) {
	reg := newFakeRegistry(t)
	d := &fakeDaemon{reg: reg, block: "save mount", after: map[string]string{"layout app": "save mount"}}
	dockerfile := "FROM busybox:1.36 AS deps\nRUN --mount=type=cache,target=/var/cache/app echo x\n" +
		"FROM busybox:1.36 AS app\nCOPY --from=deps /etc/passwd /x\n"
	report, err := runFake(t, t.Context(), d, reg.project(t, dockerfile, "    checks:\n      files:\n        - path: /nope\n"))
	if !errors.Is(err, cairn.ErrChecksFailed) || !errors.Is(err, cairn.ErrNothingPublished) || !strings.Contains(err.Error(), "target app: 1 checks failed") {
		t.Fatalf("error %v, want the failed check, matching ErrChecksFailed and ErrNothingPublished", err)
	}
	if got := d.log(); !slices.Contains(got, "save mount (tags: 0)") || !slices.Contains(got, "layout app (tags: 0)") {
		t.Errorf("solves %q, want the save and the checked image's layout", got)
	}
	if report.Mounts[0].Save != "" || len(report.Tags) > 0 || len(reg.tags()) > 0 {
		t.Errorf("mounts %+v, tags %v and %v: want nothing saved or moved", report.Mounts, report.Tags, reg.tags())
	}
}

// TestRunWithoutPushWritesNothing: a build that does not publish solves,
// checks, and touches no registry: nothing is staged, saved or tagged.
func TestRunWithoutPushWritesNothing(t *testing.T) {
	reg := newFakeRegistry(t)
	d := &fakeDaemon{reg: reg}
	report, err := cairn.Run(t.Context(), cairn.On(d), reg.project(t, "", passingChecks), cairn.RunOptions{Registry: fastAccess(t)})
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Stages) != 1 || report.Stages[0].Status != cairn.StageOK || len(report.Tags) > 0 {
		t.Errorf("report %+v, want the stage built and no tag", report)
	}
	if got := d.log(); slices.Contains(got, "save mount (tags: 0)") || len(reg.tags()) > 0 {
		t.Errorf("solves %q, tags %v: want no mount saved, no tag", got, reg.tags())
	}
}

// stalling builds the project named stall until its context ends, and
// fails the one named fail; others it builds as b does.
type stalling struct {
	cairn.Builder
	stall, fail string
}

var errBuild = errors.New("RUN false: exit code 1")

func (b stalling) Build(ctx context.Context, p *cairn.Project, bo build.Options, log *slog.Logger) (*build.Result, error) {
	switch p.Name {
	case b.stall:
		<-ctx.Done()
		return nil, ctx.Err()
	case b.fail:
		return nil, errBuild
	}
	return b.Builder.Build(ctx, p, bo, log)
}

// TestRunAllBuildsAtOnceAndFailsTogether: RunAll builds its projects at
// the same time, so one that fails while another is still building
// cancels it (in turn, the first would never end), and the error is the
// failure's, matching ErrNothingPublished, with no tag moved.
func TestRunAllBuildsAtOnceAndFailsTogether(t *testing.T) {
	reg := newFakeRegistry(t)
	api, worker := reg.project(t, "", ""), reg.project(t, "", "")
	api.Name, worker.Name = "api", "worker"
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	b := stalling{Builder: cairn.On(&fakeDaemon{reg: reg}), stall: "api", fail: "worker"}
	reports, err := cairn.RunAll(ctx, b, []*cairn.Project{api, worker}, cairn.RunOptions{Push: true, Registry: fastAccess(t)})
	if !errors.Is(err, errBuild) || !errors.Is(err, cairn.ErrNothingPublished) || !strings.Contains(err.Error(), "worker: ") {
		t.Fatalf("error %v, want worker's build failure, matching ErrNothingPublished", err)
	}
	if len(reports) != 2 {
		t.Errorf("%d reports, want one per project", len(reports))
	}
	if tags := reg.tags(); len(tags) > 0 {
		t.Errorf("tags %v after a failed RunAll", tags)
	}
}
