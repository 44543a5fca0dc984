package build

import (
	"maps"
	"strings"
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
