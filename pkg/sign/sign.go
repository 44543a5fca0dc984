// Package sign signs published images so that cosign verifies them. A
// signature is a sigstore bundle (v0.3) holding a DSSE envelope of an
// in-toto statement whose subject is the image's manifest digest, as
// `cosign sign --new-bundle-format` writes it; cosign's legacy tag format
// signs a simple signing payload instead (LegacySigner). The package signs
// and checks bytes only: storing signatures in a registry is pkg/registry's
// job, and moving their tags pkg/push's.
package sign

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// The names cosign writes and reads.
const (
	// BundleMediaType is a sigstore bundle's, the artifact type of its referrer.
	BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// PredicateType is the predicate type of cosign's image signature statement.
	PredicateType = "https://sigstore.dev/cosign/sign/v1"
	// statementType is the DSSE payload type of an in-toto statement.
	statementType = "application/vnd.in-toto+json"
	// SimpleSigningMediaType is the media type of a legacy signature's layer.
	SimpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	// SignatureAnnotation holds a legacy signature (base64) on its layer.
	SignatureAnnotation = "dev.cosignproject.cosign/signature"
)

// Signer signs image digests (sha256:…). Key is one; a keyless signer (a
// Fulcio certificate, a Rekor entry) would be another, behind the same
// two methods.
type Signer interface {
	// Sign is the sigstore bundle, as JSON, that signs the manifest digest.
	Sign(ctx context.Context, digest string) ([]byte, error)
	// Signed reports whether bundle is a valid signature of digest by this
	// signer: a publish keeps the one there rather than adding another.
	Signed(bundle []byte, digest string) bool
}

// LegacySigner also signs in cosign's legacy format: a simple signing
// payload (Payload) under the tag sha256-<hex>.sig.
type LegacySigner interface {
	Signer
	// SignPayload is the signature of a payload.
	SignPayload(ctx context.Context, payload []byte) ([]byte, error)
	// SignedPayload reports whether sig is this signer's valid signature of
	// payload, and payload names digest.
	SignedPayload(payload, sig []byte, digest string) bool
}

// Payload is cosign's simple signing payload of the image repo@digest.
func Payload(repo, digest string) ([]byte, error) {
	d, err := name.NewDigest(repo + "@" + digest)
	if err != nil {
		return nil, err
	}
	return json.Marshal(payload.Cosign{Image: d}.SimpleContainerImage())
}

// payloadDigest is the manifest digest a simple signing payload names.
func payloadDigest(p []byte) string {
	var sci payload.SimpleContainerImage
	if json.Unmarshal(p, &sci) != nil || sci.Critical.Type != payload.CosignSignatureType {
		return ""
	}
	return sci.Critical.Image.DockerManifestDigest
}

// splitDigest is a digest's algorithm and hex.
func splitDigest(digest string) (string, string, error) {
	algo, hex, ok := strings.Cut(digest, ":")
	if !ok || algo == "" || hex == "" {
		return "", "", fmt.Errorf("digest %q: want ALGORITHM:HEX", digest)
	}
	return algo, hex, nil
}
