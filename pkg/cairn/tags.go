package cairn

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/cache"
	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/push"
)

// Tag is a tag a publish of the project moves, and the stage whose result
// it moves to.
type Tag struct {
	Ref   string
	Kind  push.Kind
	Stage string
	// Mount is the cache ID of a cache mount's snapshot tag (Stage is "").
	Mount string
	// Held says why this build may not move the final tag (a pull request
	// build's, see config.ReleaseHold); "" when it may.
	Held string
}

// Tags are every tag `cairn build --push` moves for the project: each
// standalone stage's cache ref (unless the cache is off or the build only
// reads it), the tier stamp when the cache ref names {branch} (Stage ""),
// each carried cache mount's snapshot ref (Mount set; moved only when the
// build saved the mount),
// then the targets' final tags. It is the one place that decides what a
// publish touches; the commit and the dry run both read it.
func (p *Project) Tags() []Tag {
	var tags []Tag
	if p.Config.CacheMode != cache.ModeOff {
		for _, s := range p.Plan.Stages {
			if s.Standalone && s.CacheExport != "" {
				tags = append(tags, Tag{Ref: s.CacheExport, Kind: push.KindCache, Stage: s.Name})
			}
		}
		if stamp := p.Config.TierStamp(); stamp != "" && len(tags) > 0 {
			tags = append(tags, Tag{Ref: stamp, Kind: push.KindCache})
		}
	}
	tags = append(tags, p.mountTags()...)
	release := p.Config.Release
	for _, s := range p.Plan.Stages {
		for _, ref := range s.Tags {
			t := Tag{Ref: ref, Kind: push.KindFinal, Stage: s.Name}
			if slices.Contains(release.Held, ref) {
				t.Held = release.Reason
			}
			tags = append(tags, t)
		}
	}
	return tags
}

// Publishable is nil when a publish would move at least one tag, or
// reads a cache it may not write (a pull request build without tags
// builds and moves nothing), and an error matching ErrNothingToPublish
// that says what is missing otherwise.
func (p *Project) Publishable() error {
	if len(p.Tags()) > 0 || p.readOnly() {
		return nil
	}
	return &config.OptionError{Option: "RunOptions.Push",
		Err: config.NeedsRepository(fmt.Errorf("%w: no repository for cache refs and no tags on any target", ErrNothingToPublish))}
}

// moves points each of the project's tags at what its stage staged: the
// cache manifest for a cache ref, the image for a final tag, and the tier
// stamp at stamp.
func (p *Project) moves(res *build.Result, stamp string) ([]push.Move, error) {
	var moves []push.Move
	for _, t := range p.Tags() {
		if t.Mount != "" {
			if m, ok := mountMove(t, res); ok {
				moves = append(moves, m)
			}
			continue
		}
		s, _ := res.Final(t.Stage)
		digest := s.Digest
		switch {
		case t.Stage == "":
			digest = stamp
		case t.Kind == push.KindCache:
			digest = s.CacheDigest
		}
		if digest == "" {
			return nil, fmt.Errorf("%s: stage %q staged nothing for it", t.Ref, t.Stage)
		}
		moves = append(moves, push.Move{Tag: t.Ref, Digest: digest, Kind: t.Kind})
	}
	return moves, nil
}

// PlannedMove is a tag a publish would move, and where it points now.
type PlannedMove struct {
	Tag
	Current string // the tag's digest now; "" when it does not exist
}

// DryRun reads where each tag a publish would move points now, without
// building or writing anything.
func DryRun(ctx context.Context, p *Project, opts RunOptions) ([]PlannedMove, error) {
	tags := p.Tags()
	refs := make([]string, len(tags))
	for i, t := range tags {
		refs[i] = t.Ref
	}
	opts, err := opts.withDefaults(p)
	if err != nil {
		return nil, err
	}
	current, err := push.Current(ctx, opts.Registry, refs)
	if err != nil {
		return nil, err
	}
	moves := make([]PlannedMove, len(tags))
	for i, t := range tags {
		moves[i] = PlannedMove{Tag: t, Current: current[t.Ref]}
	}
	return moves, nil
}

// readOnly reports whether the project reads cache refs it never writes:
// its tier is read-only and there is something to read.
func (p *Project) readOnly() bool {
	if p.Config.Tier.Writes {
		return false
	}
	for _, s := range p.Plan.Stages {
		if len(s.CacheImports) > 0 {
			return true
		}
	}
	return false
}

// noteTier says, when a publish writes no cache, why.
func (p *Project) noteTier(log *slog.Logger) {
	if p.readOnly() {
		log.Info("cache is read-only: " + p.Config.Tier.Reason)
	}
}
