package cairn

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cairn-build/cairn/pkg/registry"
)

// A tier stamp is an OCI artifact: an empty config, one empty layer, and
// annotations saying when a publish wrote the tier. Stage images cannot say
// it: SOURCE_DATE_EPOCH clamps their created time to the commit's, and a
// mode=max cache has no time at all. The stamp moves on every publish of
// the tier, also when every cache in it stayed the same.
const (
	stampArtifactType = "application/vnd.cairn.cache.tier.v1"
	annotationCreated = ocispecs.AnnotationCreated // RFC 3339, with nanoseconds
	annotationTier    = "dev.cairn.cache.tier"
	annotationBranch  = "dev.cairn.cache.branch"
)

// rawManifest is a manifest to put as it is.
type rawManifest struct {
	data      []byte
	mediaType types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.data, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mediaType, nil }

// stageTierStamp uploads the project's tier stamp, written now, by digest
// (no tag moves) and returns its digest; "" when the project has none
// (config.Build.TierStamp).
func (p *Project) stageTierStamp(ctx context.Context, reg *registry.Access, now time.Time) (string, error) {
	ref := p.Config.TierStamp()
	if ref == "" {
		return "", nil
	}
	tag, err := reg.Tag(ref)
	if err != nil {
		return "", fmt.Errorf("tier stamp %s: %w", ref, err)
	}
	repo := tag.Context()
	empty := ocispecs.DescriptorEmptyJSON
	if err := remote.WriteLayer(repo, static.NewLayer(empty.Data, types.MediaType(empty.MediaType)), reg.Remote(ctx)...); err != nil {
		return "", fmt.Errorf("stage tier stamp %s: %w", ref, err)
	}
	empty.Data = nil // inline data is new in OCI 1.1: registries may refuse it
	annotations := map[string]string{
		annotationCreated: now.UTC().Format(time.RFC3339Nano),
		annotationTier:    p.Config.Tier.Tag,
		annotationBranch:  p.Config.Tier.Branch,
	}
	if p.Source.Commit != "" {
		annotations[ocispecs.AnnotationRevision] = p.Source.Commit
	}
	data, err := json.Marshal(ocispecs.Manifest{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispecs.MediaTypeImageManifest,
		ArtifactType: stampArtifactType,
		Config:       empty,
		Layers:       []ocispecs.Descriptor{empty},
		Annotations:  annotations,
	})
	if err != nil {
		return "", err
	}
	d := digest.FromBytes(data).String()
	if err := remote.Put(repo.Digest(d), rawManifest{data: data, mediaType: types.OCIManifestSchema1}, reg.Remote(ctx)...); err != nil {
		return "", fmt.Errorf("stage tier stamp %s: %w", ref, err)
	}
	return d, nil
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
