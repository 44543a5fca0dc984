package cairn_test

import (
	"encoding/json"
	"errors"
	"maps"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cairn-build/cairn/internal/devenv"
	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/push"
)

// TestPoolDaemonKilledMidBuild kills daemons while examples/wide's sleeps
// run on them, in a repository a first build published. With one killed,
// its stage is built again on another daemon and the build publishes;
// with every daemon killed, the build fails. Either way no tag moves
// before the commit starts, after every stage succeeded.
func TestPoolDaemonKilledMidBuild(t *testing.T) {
	tests := []struct {
		name    string
		daemons int
		kill    int // how many, once each runs a step
	}{
		{"one of three", 3, 1},
		{"all of two", 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var daemons []*devenv.Daemon
			for range tt.daemons {
				daemons = append(daemons, testenv.NewDaemon(t))
			}
			pool := dialPool(t, daemons...)
			repo := testenv.Repo(t)
			if _, err := poolRun(t, pool, wideProject(t, repo, "1", config.CacheInline), cairn.RunOptions{Push: true}); err != nil {
				t.Fatalf("first build: %v", err)
			}
			before := published(t, repo)
			tags := pollTags(repo, before)
			status := watch()
			killed := make(chan []string, 1)
			go func() { killed <- killWhenRunning(daemons, tt.kill, 2*time.Minute) }()

			report, err := poolRun(t, pool, wideProject(t, repo, "8", config.CacheInline), cairn.RunOptions{Push: true, Status: status.ch})
			status.close()
			changed := tags.stop()
			names := <-killed
			if len(names) != tt.kill {
				t.Fatalf("killed %v, want %d daemons running a step", names, tt.kill)
			}
			if report != nil {
				testenv.ValidateReport(t, metadata(t, report))
			}
			commit, committed := status.first("[publish]")
			switch {
			case tt.kill < tt.daemons:
				if err != nil {
					t.Fatalf("the build failed with daemons left: %v", err)
				}
				assertRebuiltElsewhere(t, report, names)
				if !committed || changed.IsZero() || changed.Before(commit) {
					t.Errorf("tags changed at %v, the commit started at %v (%v): want after", changed, commit, committed)
				}
			default:
				if !errors.Is(err, cairn.ErrNothingPublished) || !errors.Is(err, build.ErrBuilderGone) {
					t.Errorf("error %v, want one matching ErrNothingPublished and ErrBuilderGone", err)
				}
				if !changed.IsZero() || committed {
					t.Errorf("tags changed at %v (commit started: %v), want untouched", changed, committed)
				}
				if after := published(t, repo); !maps.Equal(after, before) {
					t.Errorf("tags moved:\n before %v\n after  %v", before, after)
				}
			}
		})
	}
}

// assertRebuiltElsewhere checks that the stages of the killed daemons
// were built on others, with a note saying so.
func assertRebuiltElsewhere(t *testing.T, r *cairn.Report, killed []string) {
	t.Helper()
	retried := 0
	for _, s := range r.Stages {
		for _, k := range killed {
			if s.Builder == k {
				t.Errorf("stage %s reported as built on %s, which was killed", s.Name, k)
			}
			if strings.Contains(s.Note, "builder "+k+" went away") {
				retried++
			}
		}
	}
	if retried == 0 {
		t.Errorf("no stage says it was built again after %v went away: %+v", killed, r.Stages)
	}
}

// killWhenRunning SIGKILLs n of the daemons, each once a build step runs
// on it, and returns the pool names of those killed (one, two, ...).
func killWhenRunning(daemons []*devenv.Daemon, n int, within time.Duration) []string {
	names := []string{"one", "two", "three", "four"}
	var killed []string
	done := map[int]bool{}
	for deadline := time.Now().Add(within); len(killed) < n && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		for i, d := range daemons {
			if !done[i] && len(killed) < n && runsStep(d) {
				if syscall.Kill(d.PID, syscall.SIGKILL) == nil {
					done[i] = true
					killed = append(killed, names[i])
				}
			}
		}
	}
	return killed
}

// runsStep reports whether a runc container of the daemon runs.
func runsStep(d *devenv.Daemon) bool {
	out, err := exec.Command("runc", "list", "--format", "json").Output()
	if err != nil {
		return false
	}
	var list []struct{ Status, Bundle string }
	if json.Unmarshal(out, &list) != nil {
		return false
	}
	for _, c := range list {
		if c.Status == "running" && strings.HasPrefix(c.Bundle, d.Root+"/") {
			return true
		}
	}
	return false
}

// published are the repository's tags but cairn's commit record.
func published(t *testing.T, repo string) map[string]string {
	t.Helper()
	tags := testenv.Tags(t, repo)
	delete(tags, push.RecordTag)
	return tags
}

// tagPoller reads a repository's tags until stopped, and notes when they
// first differed from before.
type tagPoller struct {
	repo    string
	before  map[string]string
	stopc   chan struct{}
	done    chan struct{}
	mu      sync.Mutex
	changed time.Time
}

func pollTags(repo string, before map[string]string) *tagPoller {
	p := &tagPoller{repo: repo, before: before, stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for {
			select {
			case <-p.stopc:
				return
			case <-time.After(100 * time.Millisecond):
			}
			if now, err := readTags(repo); err == nil && !maps.Equal(now, before) {
				p.mu.Lock()
				if p.changed.IsZero() {
					p.changed = time.Now()
				}
				p.mu.Unlock()
			}
		}
	}()
	return p
}

// stop ends the polling and returns when the tags first changed (zero if
// they never did).
func (p *tagPoller) stop() time.Time {
	close(p.stopc)
	<-p.done
	p.mu.Lock()
	if now, err := readTags(p.repo); p.changed.IsZero() && err == nil && !maps.Equal(now, p.before) {
		p.changed = time.Now() // moved since the last poll
	}
	defer p.mu.Unlock()
	return p.changed
}

func readTags(repo string) (map[string]string, error) {
	r, err := name.NewRepository(repo, name.Insecure)
	if err != nil {
		return nil, err
	}
	tags, err := remote.List(r)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, tag := range tags {
		if tag == push.RecordTag {
			continue // cairn's lock, rewritten while a publisher holds it
		}
		desc, err := remote.Head(r.Tag(tag))
		if err != nil {
			return nil, err
		}
		m[tag] = desc.Digest.String()
	}
	return m, nil
}
