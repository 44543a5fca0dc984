package build

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/cairn-build/cairn/pkg/push"
)

// attestPrefix starts the Dockerfile frontend's attestation attributes
// (attest:provenance, attest:sbom).
const attestPrefix = "attest:"

// attestAttrs adds the target's attestations (TargetOptions.Attests) to
// the frontend attributes of the solve that publishes its image. Only a
// final image, a stage with tags pushed by digest, carries them: never a
// cache-only stage image, whose digest must stay the same from build to
// build, nor a build that publishes nothing.
func (s *stageSolve) attestAttrs(attrs map[string]string) {
	if !s.opts.Push || len(s.stage.Tags) == 0 {
		return
	}
	for typ, v := range s.opts.Targets[s.stage.Name].Attests {
		attrs[attestPrefix+typ] = v
	}
}

// withoutAttests are the attributes with no attestation asked: the
// checks' layout and the -o outputs hold the image alone (an attestation
// makes BuildKit export an index, which the checks cannot read as one image).
func withoutAttests(attrs map[string]string) map[string]string {
	out := maps.Clone(attrs)
	maps.DeleteFunc(out, func(k, _ string) bool { return strings.HasPrefix(k, attestPrefix) })
	return out
}

// attestedConfig is the config digest of the image the solve published
// with attestations: BuildKit's exporter gives none for an index, which
// attestations make of a single-platform image, and docker's image ID
// (--iidfile, buildx's containerimage.config.digest) is that digest.
func (s *stageSolve) attestedConfig(ctx context.Context, res *StageResult) error {
	if res.ConfigDigest != "" || !s.opts.Push || len(s.stage.Tags) == 0 || len(s.opts.Targets[s.stage.Name].Attests) == 0 {
		return nil
	}
	config, err := push.SingleConfig(ctx, s.opts.Registry, s.stage.Tags[0], res.Digest)
	if err != nil {
		return fmt.Errorf("read the image config of the attested index: %w", err)
	}
	res.ConfigDigest = config
	return nil
}
