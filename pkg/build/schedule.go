package build

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/cairn-build/cairn/pkg/planner"
)

// scheduler starts a stage when the stages it depends on are done:
// independent stages run concurrently, and a dependent stage finds its
// dependencies' results in the daemon instead of computing them inside its
// own solve.
type scheduler struct {
	done   map[string]chan struct{} // closed when the stage is done
	mu     sync.Mutex
	failed map[string]bool
}

func newScheduler(plan *planner.Plan) *scheduler {
	sc := &scheduler{done: make(map[string]chan struct{}, len(plan.Stages)), failed: map[string]bool{}}
	for _, stage := range plan.Stages {
		sc.done[stage.Name] = make(chan struct{})
	}
	return sc
}

// wait returns when every dependency is done: nil when all succeeded, else
// why the stage cannot start (ErrDependencyFailed, or ctx's error).
func (sc *scheduler) wait(ctx context.Context, deps []string) error {
	if err := sc.after(ctx, deps); err != nil {
		return err
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for _, dep := range deps {
		if sc.failed[dep] {
			return fmt.Errorf("%w: stage %s failed", ErrDependencyFailed, dep)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", errNotStarted, err)
	}
	return nil
}

// finish marks the stage done, which releases the stages waiting for it.
func (sc *scheduler) finish(stage string, failed bool) {
	sc.mu.Lock()
	sc.failed[stage] = failed
	sc.mu.Unlock()
	close(sc.done[stage])
}

// mountOrder is, for each stage, the stage before it (in plan order) that
// uses one of its cache mounts, shared or locked, and starts empty: on one
// daemon they share the directory, and a stage that starts after another
// finds what that one compiled or downloaded in it, where two at once would
// both compute it (on a fresh runner, Go's build cache: each stage compiling
// the standard library). A mount restored from its snapshot is full from
// the start, so its stages still run concurrently, as do stages without a
// common mount.
func mountOrder(plan *planner.Plan, restored func(id string) bool) map[string][]string {
	last := map[string]string{} // mount ID → the last stage using it
	after := map[string][]string{}
	for _, s := range plan.Stages {
		if !s.Standalone {
			continue
		}
		for _, m := range s.CacheMounts {
			if m.Sharing == "private" || restored(m.ID) {
				continue
			}
			if prev, ok := last[m.ID]; ok && prev != s.Name && !slices.Contains(after[s.Name], prev) {
				after[s.Name] = append(after[s.Name], prev)
			}
			last[m.ID] = s.Name
		}
	}
	return after
}

// after returns when every stage in stages is done, failed or not: an
// ordering, not a dependency (see mountOrder).
func (sc *scheduler) after(ctx context.Context, stages []string) error {
	for _, s := range stages {
		select {
		case <-sc.done[s]:
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", errNotStarted, ctx.Err())
		}
	}
	return nil
}
