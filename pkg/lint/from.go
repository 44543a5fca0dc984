package lint

import (
	"strings"

	"github.com/distribution/reference"

	"github.com/cairn-build/cairn/internal/dfparse"
)

// checkFrom flags base images that are untagged (DL3006), on latest
// (DL3007) or, with digest pinning on, not pinned (CAIRN001). Stages,
// scratch and names that are invalid after ARG expansion are skipped;
// BuildKit reports the invalid ones itself.
func checkFrom(df *dockerfile, opts *Options) []Finding {
	var out []Finding
	for i := range df.Stages {
		ref, ok := baseImage(df, i)
		if !ok {
			continue
		}
		line, name := df.StageLine(i), df.bases[i].Name
		_, digested := ref.(reference.Digested)
		tagged, hasTag := ref.(reference.Tagged)
		switch {
		case digested:
		case !hasTag:
			out = append(out, finding(ruleUntagged, line, "base image %s has no tag: pin a version, e.g. %s:<version>", name, name))
		case tagged.Tag() == "latest":
			out = append(out, finding(ruleLatest, line, "base image %s uses the latest tag: pin a version", name))
		}
		if opts.PinDigests && !digested {
			out = append(out, finding(ruleNoDigest, line, "base image %s has no digest pin: add @sha256:<digest>", name))
		}
	}
	return out
}

// baseImage parses stage i's base as an image reference; ok is false for
// stages, scratch and names that do not parse.
func baseImage(df *dockerfile, i int) (reference.Named, bool) {
	name := df.bases[i].Name
	if df.bases[i].Stage >= 0 || name == "" || strings.EqualFold(name, dfparse.Scratch) {
		return nil, false
	}
	ref, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return nil, false
	}
	return ref, true
}
