package push

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cairn-build/cairn/pkg/registry"
)

// BuildKit's attestation storage (docs/attestations/attestation-storage.md):
// an index holds, beside each platform's image, an attestation manifest
// annotated with the image it is about; each of its layers is one in-toto
// statement, annotated with its predicate type.
const (
	refTypeAnnotation   = "vnd.docker.reference.type"
	refDigestAnnotation = "vnd.docker.reference.digest"
	attestationRefType  = "attestation-manifest"
	predicateAnnotation = "in-toto.io/predicate-type"
)

// keptNote says why a tag stayed at the index it was at.
const keptNote = "kept the published index: same images and kinds of attestation (only the attestations' build records differ)"

// keepPublished keeps each tag at its published index when that
// holds the same images as the staged one and attestations of the same
// predicate types: BuildKit's provenance records when and by which
// invocation the build ran, so a build of unchanged sources stages a new
// index each time (moby/buildkit#5894), and moving the tag to it would
// change what users pull for nothing (an inline cache ref holds the same
// index as the final tags: it stays too). The other tags staged to the
// same index in the same repository then move to the kept one too.
func (c *commit) keepPublished(ctx context.Context) error {
	staged := make(map[*tagMove]string, len(c.tags))
	for _, t := range c.tags {
		staged[t] = t.Digest
	}
	err := c.each(ctx, c.tags, func(t *tagMove) error {
		if t.previous == nil || t.previous.Digest.String() == t.Digest {
			return nil
		}
		same, err := sameImages(ctx, c.reg, t.tag.Context(), t.staged, t.previous)
		if err != nil {
			return fmt.Errorf("%s: compare with the published index: %w", t.Tag, err)
		}
		if same {
			t.staged, t.Digest = t.previous, t.previous.Digest.String()
			t.result.Digest, t.result.Note = t.Digest, keptNote
		}
		return nil
	})
	if err != nil {
		return err
	}
	kept := map[string]*tagMove{} // repository@staged digest → a kept tag
	for _, t := range c.tags {
		if t.result.Note == keptNote {
			kept[t.tag.Context().Name()+"@"+staged[t]] = t
		}
	}
	for _, t := range c.tags {
		if k, ok := kept[t.tag.Context().Name()+"@"+staged[t]]; ok && t.Digest != k.Digest {
			t.staged, t.Digest, t.result.Digest = k.staged, k.Digest, k.Digest
		}
	}
	return nil
}

// sameImages reports whether two indexes hold the same image manifests
// and index annotations, and attestations of the same predicate types for
// each image; the attestations' content may differ.
func sameImages(ctx context.Context, reg *registry.Access, repo name.Repository, a, b *remote.Descriptor) (bool, error) {
	if !a.MediaType.IsIndex() || !b.MediaType.IsIndex() {
		return false, nil // an image manifest without attestations: its digest says it all
	}
	ia, err := v1.ParseIndexManifest(bytes.NewReader(a.Manifest))
	if err != nil {
		return false, err
	}
	ib, err := v1.ParseIndexManifest(bytes.NewReader(b.Manifest))
	if err != nil {
		return false, err
	}
	if !maps.Equal(ia.Annotations, ib.Annotations) || !slices.Equal(imageKeys(ia), imageKeys(ib)) {
		return false, nil
	}
	ka, err := attestationKeys(ctx, reg, repo, ia)
	if err != nil {
		return false, err
	}
	kb, err := attestationKeys(ctx, reg, repo, ib)
	return err == nil && slices.Equal(ka, kb), err
}

// imageKeys are the index's image manifests (not its attestations), sorted.
func imageKeys(idx *v1.IndexManifest) []string {
	var keys []string
	for _, m := range idx.Manifests {
		if m.Annotations[refTypeAnnotation] != attestationRefType {
			keys = append(keys, m.Digest.String()+" "+platformString(m.Platform))
		}
	}
	slices.Sort(keys)
	return keys
}

// attestationKeys are, for each attestation in the index, the image it is
// about and its predicate type, sorted.
func attestationKeys(ctx context.Context, reg *registry.Access, repo name.Repository, idx *v1.IndexManifest) ([]string, error) {
	atts, err := readAttestations(ctx, reg, repo, idx)
	var keys []string
	for _, a := range atts {
		keys = append(keys, a.Subject+" "+a.PredicateType)
	}
	slices.Sort(keys)
	return keys, err
}

// Attestation is one in-toto statement attached to an image of an index.
type Attestation struct {
	// Platform is the platform of the image it is about.
	Platform string `json:"platform,omitempty"`
	// Subject is the digest of the image manifest it is about.
	Subject string `json:"subject"`
	// PredicateType is the statement's, e.g. https://slsa.dev/provenance/v0.2
	// or https://spdx.dev/Document.
	PredicateType string `json:"predicateType"`
	// Manifest is the digest of the attestation manifest holding it.
	Manifest string `json:"manifest"`
}

// Attestations are the attestations of the index ref@digest (none when it
// is an image manifest).
func Attestations(ctx context.Context, reg *registry.Access, ref, digest string) ([]Attestation, error) {
	r, err := reg.Reference(ref)
	if err != nil {
		return nil, err
	}
	idx, err := readIndex(ctx, reg, r.Context(), digest)
	if err != nil || idx == nil {
		return nil, err
	}
	return readAttestations(ctx, reg, r.Context(), idx)
}

// SingleConfig is the config digest of the image of the index ref@digest
// when it holds one image (besides attestations); "" when it holds several
// or is an image manifest.
func SingleConfig(ctx context.Context, reg *registry.Access, ref, digest string) (string, error) {
	r, err := reg.Reference(ref)
	if err != nil {
		return "", err
	}
	idx, err := readIndex(ctx, reg, r.Context(), digest)
	if err != nil || idx == nil {
		return "", err
	}
	return oneConfig(ctx, reg, r.Context(), idx)
}

func oneConfig(ctx context.Context, reg *registry.Access, repo name.Repository, idx *v1.IndexManifest) (string, error) {
	images := imageKeys(idx)
	if len(images) != 1 {
		return "", nil
	}
	img, _, _ := strings.Cut(images[0], " ")
	desc, err := remote.Get(repo.Digest(img), reg.Remote(ctx)...)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", img, err)
	}
	var m v1.Manifest
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		return "", fmt.Errorf("image manifest %s: %w", img, err)
	}
	return m.Config.Digest.String(), nil
}

// readIndex reads repo@digest's index manifest; nil when it is an image's.
func readIndex(ctx context.Context, reg *registry.Access, repo name.Repository, digest string) (*v1.IndexManifest, error) {
	desc, err := remote.Get(repo.Digest(digest), reg.Remote(ctx)...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", digest, err)
	}
	if !desc.MediaType.IsIndex() {
		return nil, nil
	}
	return v1.ParseIndexManifest(bytes.NewReader(desc.Manifest))
}

func readAttestations(ctx context.Context, reg *registry.Access, repo name.Repository, idx *v1.IndexManifest) ([]Attestation, error) {
	platforms := map[string]string{}
	for _, m := range idx.Manifests {
		platforms[m.Digest.String()] = platformString(m.Platform)
	}
	var out []Attestation
	for _, m := range idx.Manifests {
		if m.Annotations[refTypeAnnotation] != attestationRefType {
			continue
		}
		desc, err := remote.Get(repo.Digest(m.Digest.String()), reg.Remote(ctx)...)
		if err != nil {
			return out, fmt.Errorf("read attestation manifest %s: %w", m.Digest, err)
		}
		var manifest v1.Manifest
		if err := json.Unmarshal(desc.Manifest, &manifest); err != nil {
			return out, fmt.Errorf("attestation manifest %s: %w", m.Digest, err)
		}
		subject := m.Annotations[refDigestAnnotation]
		for _, l := range manifest.Layers {
			out = append(out, Attestation{Platform: platforms[subject], Subject: subject, PredicateType: l.Annotations[predicateAnnotation], Manifest: m.Digest.String()})
		}
	}
	return out, nil
}

func platformString(p *v1.Platform) string {
	if p == nil {
		return ""
	}
	return p.String()
}
