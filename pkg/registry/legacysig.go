package registry

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// LegacySignatureTag is cosign's legacy signature tag of the manifest
// digest: sha256:<hex> is sha256-<hex>.sig. The image under it has a
// layer per signature.
func LegacySignatureTag(digest string) string { return ReferrersTag(digest) + ".sig" }

// Layer is an image layer with its content: its descriptor, annotations
// included, as the manifest lists it.
type Layer struct {
	ocispecs.Descriptor
	Data []byte
}

// ReadLayers reads the image under tag and every layer's content; nil,
// nil when the tag does not exist.
func (a *Access) ReadLayers(ctx context.Context, tag name.Tag) (v1.Image, []Layer, error) {
	img, err := remote.Image(tag, a.Remote(ctx)...)
	switch {
	case IsNotFound(err):
		return nil, nil, nil
	case err != nil:
		return nil, nil, fmt.Errorf("read %s: %w", tag, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", tag, err)
	}
	layers := make([]Layer, len(m.Layers))
	for i, l := range m.Layers {
		d := ocispecs.Descriptor{MediaType: string(l.MediaType), Digest: digest.Digest(l.Digest.String()), Size: l.Size, Annotations: l.Annotations}
		data, err := a.readBlob(ctx, tag.Context(), d)
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", tag, err)
		}
		layers[i] = Layer{Descriptor: d, Data: data}
	}
	return img, layers, nil
}

// StageLayer uploads by digest to repo the image base (an empty OCI image
// when nil) with the layer appended, and returns the new image's digest.
// No tag moves.
func (a *Access) StageLayer(ctx context.Context, repo name.Repository, base v1.Image, l Layer) (string, error) {
	if base == nil {
		base = mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer: static.NewLayer(l.Data, types.MediaType(l.MediaType)), Annotations: l.Annotations, MediaType: types.MediaType(l.MediaType),
	})
	if err != nil {
		return "", err
	}
	h, err := img.Digest()
	if err != nil {
		return "", err
	}
	if err := remote.Write(repo.Digest(h.String()), img, a.Remote(ctx)...); err != nil {
		return "", fmt.Errorf("stage %s in %s: %w", h, repo, err)
	}
	return h.String(), nil
}
