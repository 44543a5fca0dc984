package cairn

import (
	"context"
	"log/slog"

	"github.com/cairn-build/cairn/pkg/bases"
	"github.com/cairn-build/cairn/pkg/push"
	"github.com/cairn-build/cairn/pkg/registry"
	"github.com/cairn-build/cairn/pkg/tiers"
)

// OutdatedOptions configure Outdated. The zero value uses the project's
// registry access and discards notes.
type OutdatedOptions struct {
	// Registry is how cairn reaches registries; nil is Registry(p).
	Registry *registry.Access
	// Logger receives notes: stages whose cache records no base (not built
	// yet, or by an older cairn) and bases whose FROM changed since.
	Logger *slog.Logger
}

// Outdated compares, for every stage built FROM an image, the base digests
// recorded on its cache ref (by `cairn build --push`) with the digests the
// base's tag names now, and returns those that moved: the stages a rebuild
// would build afresh (bases.Outdated has the rule). It needs no daemon.
func Outdated(ctx context.Context, p *Project, opts OutdatedOptions) (bases.Changes, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	var err error
	if opts.Registry, err = p.access(opts.Registry); err != nil {
		return nil, err
	}
	return bases.Outdated(ctx, opts.Registry, p.Plan, p.Config.Solve.Contexts, opts.Logger)
}

// PruneOptions configure Prune; a nil Registry is Registry(p).
type PruneOptions = tiers.Options

// Prune deletes the cache tags of the project's branch tiers written before
// opts.OlderThan ago, never its final tags (tiers.Prune has the rules). The
// report is returned also on error.
func Prune(ctx context.Context, p *Project, opts PruneOptions) (*tiers.Report, error) {
	var err error
	if opts.Registry, err = p.access(opts.Registry); err != nil {
		return nil, err
	}
	var final []string
	for _, t := range p.Tags() {
		if t.Kind == push.KindFinal {
			final = append(final, t.Ref)
		}
	}
	return tiers.Prune(ctx, p.Config, p.Plan, final, opts)
}
