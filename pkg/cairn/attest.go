package cairn

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/push"
	"github.com/cairn-build/cairn/pkg/registry"
)

// addAttestations sets each published target's digest to where its tags
// point after the commit (an unchanged image keeps its published index,
// see push.Commit) and lists the attestations there.
func addAttestations(ctx context.Context, reg *registry.Access, targets []TargetReport, tags []push.TagResult, logger *slog.Logger) {
	for i, t := range targets {
		if len(t.Tags) == 0 {
			continue
		}
		j := slices.IndexFunc(tags, func(r push.TagResult) bool { return r.Kind == push.KindFinal && r.Tag == t.Tags[0] })
		if j < 0 {
			continue
		}
		published := tags[j].Digest
		if published != t.Digest {
			t.Digest, t.ImageDigest = published, published
			if d, err := push.Describe(ctx, reg, t.Tags[0], published); err == nil {
				t.Descriptor = &d
			}
		}
		atts, err := push.Attestations(ctx, reg, t.Tags[0], published)
		if err != nil {
			logger.Info(fmt.Sprintf("target %s: attestations not listed: %v", t.Name, err))
		}
		t.Attestations = attestationReports(atts)
		targets[i] = t
	}
}

// AttestationReport is one attestation of a published target's image.
type AttestationReport struct {
	// Type is provenance or sbom, from the predicate type ("" for another).
	Type string `json:"type"`
	push.Attestation
}

func attestationReports(atts []push.Attestation) []AttestationReport {
	out := make([]AttestationReport, len(atts))
	for i, a := range atts {
		out[i] = AttestationReport{Type: attestationType(a.PredicateType), Attestation: a}
	}
	return out
}

// attestationType names the kind of an in-toto predicate type as buildx's
// flags do.
func attestationType(predicate string) string {
	switch {
	case strings.HasPrefix(predicate, "https://slsa.dev/provenance/"):
		return config.AttestProvenance
	case strings.HasPrefix(predicate, "https://spdx.dev/Document"), strings.HasPrefix(predicate, "https://cyclonedx.org/bom"):
		return config.AttestSBOM
	}
	return ""
}
