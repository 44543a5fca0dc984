package bases

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/planner"
	"github.com/cairn-build/cairn/pkg/registry"
)

// Change is a stage whose base image moved, on one platform, since the
// stage's cache was built.
type Change struct {
	Stage string `json:"stage"`
	// Base is the base image as BuildKit names it.
	Base     string `json:"base"`
	Platform string `json:"platform"`
	// Old is the manifest digest the stage's cache was built on, New the
	// one the base's tag names now.
	Old string `json:"old"`
	New string `json:"new"`
	// CacheRef is where the old digest is recorded.
	CacheRef string `json:"cacheRef"`
}

// Changes are Outdated's answer, in plan order, then by platform.
type Changes []Change

// ErrNoCacheRefs is matched by Outdated's error for a project whose stages
// have no cache refs: nothing records the digests they were built on.
var ErrNoCacheRefs = errors.New("no stage has a cache ref to read its base image digests from: they need a cache mode other than off and a repository")

// Outdated compares, for every stage built FROM an image, the base digests
// recorded on its cache ref (by `cairn build --push`) with the digests the
// base's tag names now, on each platform the cache was built for, and
// returns those that moved: the stages a rebuild would build afresh. It
// needs no daemon. A cache that cannot be read or a base that cannot be
// resolved is an error; the changes found are returned with it.
// Notes go to log: stages whose cache records no base (not built yet, or
// by an older cairn) and bases whose FROM changed since. A base that
// names one of the build's named contexts is none.
func Outdated(ctx context.Context, reg *registry.Access, plan *planner.Plan, contexts map[string]string, log *slog.Logger) (Changes, error) {
	if !hasCacheRefs(plan) {
		return Changes{}, config.NeedsRepository(ErrNoCacheRefs)
	}
	var bases []*stageBase
	for _, b := range externalBases(plan, contexts) {
		if b.stage.CacheRef != "" {
			bases = append(bases, b)
		}
	}
	// The platforms the cache was built for: a plan made on this machine
	// may assume another platform than the daemon that built.
	checkBases(ctx, reg, bases, func(b *stageBase) []string {
		if b.recorded == nil || b.recorded.ref != b.ref {
			return nil
		}
		return slices.Sorted(maps.Keys(b.recorded.digests))
	})
	changes := Changes{}
	var errs []error
	for _, b := range bases {
		switch {
		case b.recordErr != nil:
			errs = append(errs, fmt.Errorf("stage %s: %w", b.stage.Name, b.recordErr))
		case b.err != nil:
			errs = append(errs, fmt.Errorf("stage %s: %w", b.stage.Name, b.err))
		case b.recorded == nil:
			log.Info(fmt.Sprintf("stage %s: cache %s records no base digest (not pushed yet, or by an older cairn): not checked", b.stage.Name, b.stage.CacheRef))
		case b.recorded.ref != b.ref:
			log.Info(fmt.Sprintf("stage %s: built FROM %s, the Dockerfile now says %s: not checked", b.stage.Name, b.recorded.ref, b.ref))
		}
		old := b.moved()
		for _, pf := range slices.Sorted(maps.Keys(old)) {
			changes = append(changes, Change{Stage: b.stage.Name, Base: b.ref, Platform: pf, Old: old[pf], New: b.current[pf], CacheRef: b.stage.CacheRef})
		}
	}
	return changes, errors.Join(errs...)
}

func hasCacheRefs(plan *planner.Plan) bool {
	for _, s := range plan.Stages {
		if s.Standalone && s.CacheRef != "" { // its own ref, also when the build only reads it
			return true
		}
	}
	return false
}

// MovedError is the answer of `cairn outdated` when a base moved: the
// stages are out of date, and a rebuild picks the new bases up.
type MovedError struct{ Changes Changes }

func (e *MovedError) Error() string {
	var stages []string
	for _, ch := range e.Changes {
		if len(stages) == 0 || stages[len(stages)-1] != ch.Stage {
			stages = append(stages, ch.Stage)
		}
	}
	return "base images moved for stages " + strings.Join(stages, ", ") + ": a rebuild picks them up"
}

// Err is a *MovedError when any base moved, else nil.
func (c Changes) Err() error {
	if len(c) == 0 {
		return nil
	}
	return &MovedError{Changes: c}
}
