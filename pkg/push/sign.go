package push

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cairn-build/cairn/pkg/registry"
	"github.com/cairn-build/cairn/pkg/sign"
)

// Signatures say how Commit signs the images its final tags move to
// (WithSignatures).
type Signatures struct {
	// Signer signs; nil signs nothing.
	Signer sign.Signer
	// Manifests also signs each platform's image manifest of a final index
	// (not its attestation manifests).
	Manifests bool
	// LegacyTag also stores cosign's legacy signature under the tag
	// sha256-<hex>.sig; Signer must be a sign.LegacySigner.
	LegacyTag bool
}

// WithSignatures signs the final images in the commit: a sigstore bundle
// per image, as an OCI 1.1 referrer of it, uploaded by digest before any
// tag moves. Where the registry has no referrers API, the referrers list
// is the index under the fallback tag sha256-<hex>: Commit merges the new
// bundle into what that tag holds and moves it with the others (kind
// signature: with the caches, before the final tags), restored on
// rollback. An image the signer has signed already, such as a published
// index Commit keeps, is not signed again, so nothing moves for it.
func WithSignatures(s Signatures) Option { return func(o *options) { o.signatures = s } }

// Annotations cosign writes on a bundle's referrer manifest.
var bundleAnnotations = map[string]string{
	bundleContent:                       "dsse-envelope",
	"dev.sigstore.bundle.predicateType": sign.PredicateType,
}

const bundleContent = "dev.sigstore.bundle.content"

// subject is an image a commit signs.
type subject struct {
	repo name.Repository
	desc ocispecs.Descriptor
}

// sign signs the images of the final tags (see WithSignatures) and adds
// the signature tags to move. A failure moves nothing.
func (c *commit) sign(ctx context.Context) error {
	s := c.o.signatures
	if s.Signer == nil {
		return nil
	}
	legacy, ok := s.Signer.(sign.LegacySigner)
	if s.LegacyTag && !ok {
		return errors.New("sign: the signer does not write cosign's legacy signature tag")
	}
	subjects, err := c.subjects()
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	var (
		mu    sync.Mutex
		moves []*tagMove
	)
	add := func(t *tagMove) {
		mu.Lock()
		moves = append(moves, t)
		mu.Unlock()
	}
	err = forEach(c.reg.Jobs(), subjects, func(sub subject) error {
		err := c.signBundle(ctx, sub, add)
		if err == nil && s.LegacyTag {
			err = c.signLegacy(ctx, legacy, sub, add)
		}
		if err != nil {
			return fmt.Errorf("sign %s@%s: %w", sub.repo, sub.desc.Digest, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := c.each(ctx, moves, func(t *tagMove) error { return c.stageSigned(ctx, t) }); err != nil {
		return err
	}
	for _, t := range moves {
		if t.Digest != t.result.Previous { // else its tag holds the signature already
			c.tags = append(c.tags, t)
		}
	}
	slices.SortStableFunc(c.tags, func(a, b *tagMove) int { return a.Kind.order() - b.Kind.order() })
	return nil
}

// subjects are the images the final tags point at, one per repository
// and digest, with their platform manifests when Manifests is set.
func (c *commit) subjects() ([]subject, error) {
	var out []subject
	seen := map[string]bool{}
	add := func(repo name.Repository, d ocispecs.Descriptor) {
		if key := repo.Name() + "@" + d.Digest.String(); !seen[key] {
			seen[key] = true
			out = append(out, subject{repo: repo, desc: d})
		}
	}
	for _, t := range c.tags {
		if t.Kind != KindFinal {
			continue
		}
		repo := t.tag.Context()
		add(repo, ocispecs.Descriptor{MediaType: string(t.staged.MediaType), Digest: digest.Digest(t.Digest), Size: t.staged.Size})
		if !c.o.signatures.Manifests || !t.staged.MediaType.IsIndex() {
			continue
		}
		idx, err := v1.ParseIndexManifest(bytes.NewReader(t.staged.Manifest))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.Tag, err)
		}
		for _, m := range idx.Manifests {
			if m.Annotations[refTypeAnnotation] != attestationRefType {
				add(repo, ocispecs.Descriptor{MediaType: string(m.MediaType), Digest: digest.Digest(m.Digest.String()), Size: m.Size})
			}
		}
	}
	return out, nil
}

// signBundle signs sub unless the signer signed it already, puts the
// bundle as its referrer, and, where the registry lists referrers under
// the fallback tag, adds that tag's move to the merged list.
func (c *commit) signBundle(ctx context.Context, sub subject, add func(*tagMove)) error {
	dgst := sub.desc.Digest.String()
	refs, err := c.reg.ReadReferrers(ctx, sub.repo, dgst)
	if err != nil {
		return err
	}
	if c.signedBundle(ctx, sub.repo, refs.Index, dgst) {
		return nil
	}
	bundle, err := c.o.signatures.Signer.Sign(ctx, dgst)
	if err != nil {
		return err
	}
	desc, listed, err := c.reg.PutReferrer(ctx, sub.repo, registry.Referrer{
		Subject: sub.desc, ArtifactType: sign.BundleMediaType, MediaType: sign.BundleMediaType, Data: bundle, Annotations: bundleAnnotations,
	})
	if err != nil || listed || refs.API {
		return err // the registry lists referrers itself: no tag to move
	}
	t := &tagMove{Move: Move{Tag: sub.repo.Tag(registry.ReferrersTag(dgst)).String(), Kind: KindSignature}}
	t.restage = func(ctx context.Context) (string, string, error) {
		refs, err := c.reg.ReadReferrers(ctx, sub.repo, dgst)
		if err != nil {
			return "", "", err
		}
		merged, _ := registry.MergeReferrers(refs.Index, desc)
		idx, err := c.reg.PutIndex(ctx, sub.repo, merged)
		return idx.Digest.String(), refs.Fallback, err
	}
	add(t)
	return nil
}

// signedBundle reports whether a referrer in idx is the signer's bundle for dgst.
func (c *commit) signedBundle(ctx context.Context, repo name.Repository, idx ocispecs.Index, dgst string) bool {
	for _, m := range idx.Manifests {
		// A registry may list the config's media type for the artifact
		// type (ggcr's does): cosign's annotation says it too.
		if m.ArtifactType != sign.BundleMediaType && m.Annotations[bundleContent] == "" {
			continue
		}
		// A referrer that cannot be read is not this signer's signature.
		if _, data, err := c.reg.ReadLayer(ctx, repo, m.Digest.String()); err == nil && c.o.signatures.Signer.Signed(data, dgst) {
			return true
		}
	}
	return false
}

// signLegacy adds the move of sub's legacy signature tag to an image with
// the signer's signature appended, unless it holds one.
func (c *commit) signLegacy(ctx context.Context, s sign.LegacySigner, sub subject, add func(*tagMove)) error {
	dgst := sub.desc.Digest.String()
	tag := sub.repo.Tag(registry.LegacySignatureTag(dgst))
	payload, err := sign.Payload(sub.repo.Name(), dgst)
	if err != nil {
		return err
	}
	var sig []byte
	t := &tagMove{Move: Move{Tag: tag.String(), Kind: KindSignature}}
	t.restage = func(ctx context.Context) (string, string, error) {
		img, layers, err := c.reg.ReadLayers(ctx, tag)
		if err != nil {
			return "", "", err
		}
		base := ""
		if img != nil {
			d, err := img.Digest()
			if err != nil {
				return "", "", err
			}
			base = d.String()
		}
		for _, l := range layers {
			old, err := base64.StdEncoding.DecodeString(l.Annotations[sign.SignatureAnnotation])
			if err == nil && l.MediaType == sign.SimpleSigningMediaType && s.SignedPayload(l.Data, old, dgst) {
				return base, base, nil // signed already: the tag stays
			}
		}
		if sig == nil {
			if sig, err = s.SignPayload(ctx, payload); err != nil {
				return "", "", err
			}
		}
		d, err := c.reg.StageLayer(ctx, sub.repo, img, registry.Layer{
			Descriptor: ocispecs.Descriptor{MediaType: sign.SimpleSigningMediaType, Annotations: map[string]string{sign.SignatureAnnotation: base64.StdEncoding.EncodeToString(sig)}},
			Data:       payload,
		})
		return d, base, err
	}
	add(t)
	return nil
}

// stageSigned stages the signature tag's new manifest and reads where
// the tag points, again while the tag moved in between: the new manifest
// is what the tag holds plus this commit's signature, never less.
func (c *commit) stageSigned(ctx context.Context, t *tagMove) error {
	for range 3 {
		d, base, err := t.restage(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", t.Tag, err)
		}
		t.Digest, t.base = d, base
		t.result = TagResult{Tag: t.Tag, Kind: t.Kind, Digest: d, State: Pending}
		if err := c.prepareOne(ctx, t); err != nil {
			return fmt.Errorf("%s: %w", t.Tag, err)
		}
		if t.result.Previous == base {
			return nil
		}
	}
	return fmt.Errorf("%s: it kept moving while its signatures were merged", t.Tag)
}
