// Package tiers keeps a project's branch cache tiers: the stamp a publish
// writes to say when it last wrote a tier, and Prune, which deletes the
// cache tags of the tiers not written for a while. It reads and writes
// registries and needs no daemon.
package tiers

import (
	"context"
	"fmt"
	"time"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/registry"
)

// A tier stamp is an OCI artifact (registry.PutArtifact): an empty config,
// one empty layer, and annotations saying when a publish wrote the tier.
// Stage images cannot say it: SOURCE_DATE_EPOCH clamps their created time
// to the commit's, and a mode=max cache has no time at all. The stamp moves
// on every publish of the tier, also when every cache in it stayed the same.
const annotationCreated = ocispecs.AnnotationCreated // RFC 3339, with nanoseconds

// Stamp uploads the tier stamp of cfg's tier, written now for the commit
// revision ("" outside a checkout), by digest (no tag moves) and returns
// its digest; "" when the tier has none (config.Build.TierStamp).
func Stamp(ctx context.Context, reg *registry.Access, cfg *config.Build, revision string, now time.Time) (string, error) {
	ref := cfg.TierStamp()
	if ref == "" {
		return "", nil
	}
	tag, err := reg.Tag(ref)
	if err != nil {
		return "", fmt.Errorf("tier stamp %s: %w", ref, err)
	}
	if err := reg.WriteEmptyBlob(ctx, tag.Context()); err != nil {
		return "", fmt.Errorf("stage tier stamp %s: %w", ref, err)
	}
	annotations := map[string]string{
		annotationCreated:                           now.UTC().Format(time.RFC3339Nano),
		registry.Annotation(registry.KeyTierName):   cfg.Tier.Tag,
		registry.Annotation(registry.KeyTierBranch): cfg.Tier.Branch,
	}
	if revision != "" {
		annotations[ocispecs.AnnotationRevision] = revision
	}
	d, err := reg.PutArtifact(ctx, tag.Context(), "", registry.ArtifactType(registry.ArtifactTierStamp), annotations)
	if err != nil {
		return "", fmt.Errorf("stage tier stamp %s: %w", ref, err)
	}
	return d, nil
}
