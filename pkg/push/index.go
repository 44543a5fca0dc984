package push

import (
	"context"
	"errors"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cairn-build/cairn/pkg/registry"
)

// NewIndex is the OCI image index of the manifests, in their order, each
// naming its platform, with the annotations (none when empty). The same
// manifests and annotations make the same index, byte for byte, so an
// index built again from the same images has the same digest.
func NewIndex(manifests []ocispecs.Descriptor, annotations map[string]string) (v1.ImageIndex, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	if len(annotations) > 0 {
		var ok bool
		if idx, ok = mutate.Annotations(idx, annotations).(v1.ImageIndex); !ok {
			return nil, errors.New("annotate the index: not an index") // unreachable: mutate keeps the kind
		}
	}
	adds := make([]mutate.IndexAddendum, len(manifests))
	for i, m := range manifests {
		if m.Platform == nil {
			return nil, fmt.Errorf("manifest %s: no platform", m.Digest)
		}
		h, err := v1.NewHash(m.Digest.String())
		if err != nil {
			return nil, fmt.Errorf("manifest %s: %w", m.Digest, err)
		}
		desc := v1.Descriptor{MediaType: types.MediaType(m.MediaType), Size: m.Size, Digest: h, Platform: &v1.Platform{
			OS: m.Platform.OS, Architecture: m.Platform.Architecture, Variant: m.Platform.Variant,
			OSVersion: m.Platform.OSVersion, OSFeatures: m.Platform.OSFeatures,
		}}
		adds[i] = mutate.IndexAddendum{Add: described{desc}, Descriptor: desc}
	}
	return mutate.AppendManifests(idx, adds...), nil
}

// described lends a descriptor the methods mutate.AppendManifests reads.
type described struct{ d v1.Descriptor }

func (x described) MediaType() (types.MediaType, error) { return x.d.MediaType, nil }
func (x described) Digest() (v1.Hash, error)            { return x.d.Digest, nil }
func (x described) Size() (int64, error)                { return x.d.Size, nil }

// IndexDescriptor is the descriptor of idx, as tags and reports point at it.
func IndexDescriptor(idx v1.ImageIndex) (ocispecs.Descriptor, error) {
	raw, err := idx.RawManifest()
	if err != nil {
		return ocispecs.Descriptor{}, err
	}
	return ocispecs.Descriptor{MediaType: ocispecs.MediaTypeImageIndex, Digest: digest.FromBytes(raw), Size: int64(len(raw))}, nil
}

// StageIndex uploads idx by digest to the repository of every ref (a tag
// in a ref is ignored), where the manifests it lists must be already. No
// tag is created or moved: the commit moves them to the index.
func StageIndex(ctx context.Context, reg *registry.Access, idx v1.ImageIndex, refs ...string) error {
	h, err := idx.Digest()
	if err != nil {
		return err
	}
	var errs []error
	seen := map[string]bool{}
	for _, ref := range refs {
		parsed, err := reg.Reference(ref)
		if err != nil {
			return err
		}
		if seen[parsed.Context().Name()] {
			continue
		}
		seen[parsed.Context().Name()] = true
		target := parsed.Context().Digest(h.String())
		if err := remote.Put(target, idx, reg.Remote(ctx)...); err != nil {
			errs = append(errs, fmt.Errorf("stage the image index %s: %w", target, err))
		}
	}
	return errors.Join(errs...)
}

// Describe reads the descriptor of the manifest digest in ref's repository
// (a tag in ref is ignored).
func Describe(ctx context.Context, reg *registry.Access, ref, dgst string) (ocispecs.Descriptor, error) {
	parsed, err := reg.Reference(ref)
	if err != nil {
		return ocispecs.Descriptor{}, err
	}
	target := parsed.Context().Digest(dgst)
	desc, err := remote.Head(target, reg.Remote(ctx)...)
	if err != nil {
		return ocispecs.Descriptor{}, fmt.Errorf("read %s: %w", target, err)
	}
	return ocispecs.Descriptor{MediaType: string(desc.MediaType), Digest: digest.Digest(desc.Digest.String()), Size: desc.Size}, nil
}
