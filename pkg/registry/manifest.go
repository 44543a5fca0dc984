package registry

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Digest is the digest ref's manifest has now; "" when it does not exist.
func (a *Access) Digest(ctx context.Context, ref name.Reference) (string, error) {
	desc, err := remote.Head(ref, a.Remote(ctx)...)
	switch {
	case IsNotFound(err):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("read current digest: %w", err)
	}
	return desc.Digest.String(), nil
}

// WriteEmptyBlob uploads the empty JSON blob, "{}", that every artifact
// PutArtifact writes references, unless repo has it.
func (a *Access) WriteEmptyBlob(ctx context.Context, repo name.Repository) error {
	empty := ocispecs.DescriptorEmptyJSON
	if err := remote.WriteLayer(repo, static.NewLayer(empty.Data, types.MediaType(empty.MediaType)), a.Remote(ctx)...); err != nil {
		return fmt.Errorf("write the empty blob in %s: %w", repo, err)
	}
	return nil
}

// PutArtifact puts a manifest-only OCI artifact in repo: the empty config,
// one empty layer (OCI 1.1's form of an artifact without content, which
// WriteEmptyBlob uploads), and the annotations. It is put under tag, or by
// digest alone when tag is "", and its digest is returned.
func (a *Access) PutArtifact(ctx context.Context, repo name.Repository, tag, artifactType string, annotations map[string]string) (string, error) {
	empty := ocispecs.DescriptorEmptyJSON
	empty.Data = nil // inline data is new in OCI 1.1: registries may refuse it
	data, err := json.Marshal(ocispecs.Manifest{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispecs.MediaTypeImageManifest,
		ArtifactType: artifactType,
		Config:       empty,
		Layers:       []ocispecs.Descriptor{empty},
		Annotations:  annotations,
	})
	if err != nil {
		return "", err
	}
	d := digest.FromBytes(data).String()
	var ref name.Reference = repo.Digest(d)
	if tag != "" {
		ref = repo.Tag(tag)
	}
	if err := remote.Put(ref, rawManifest(data), a.Remote(ctx)...); err != nil {
		return "", fmt.Errorf("put %s: %w", ref, err)
	}
	return d, nil
}

// rawManifest is an OCI image manifest to put as it is.
type rawManifest []byte

func (m rawManifest) RawManifest() ([]byte, error)        { return m, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
