package push

import (
	"fmt"
	"slices"
)

// DuplicateTagError is a tag two moves point at different manifests: two
// images released together under one name.
type DuplicateTagError struct {
	Tag              string
	Digest, Previous string // the second move's digest, and the first's
}

func (e *DuplicateTagError) Error() string {
	return fmt.Sprintf("%s: two images would be published under this tag (%s and %s): give each its own tag", e.Tag, e.Previous, e.Digest)
}

// Merge is the moves of several builds committed together (the targets of
// a bake file), each tag once: moves of one tag to one manifest are one
// move, as are a cache tag's moves (builds that share a stage with the
// same inputs stage equivalent caches: the first is kept). A final or
// signature tag moved to two manifests is a *DuplicateTagError.
func Merge(moves []Move) ([]Move, error) {
	seen := map[string]int{}
	var out []Move
	for _, m := range moves {
		i, ok := seen[m.Tag]
		switch {
		case !ok:
			seen[m.Tag] = len(out)
			out = append(out, m)
		case out[i].Digest == m.Digest || (m.Kind == KindCache && out[i].Kind == KindCache):
		default:
			return nil, &DuplicateTagError{Tag: m.Tag, Digest: m.Digest, Previous: out[i].Digest}
		}
	}
	return out, nil
}

// Of are the results of the tags refs names, in commit order: one build's
// share of a commit of several (see Merge).
func Of(results []TagResult, refs []string) []TagResult {
	var out []TagResult
	for _, r := range results {
		if slices.Contains(refs, r.Tag) {
			out = append(out, r)
		}
	}
	return out
}
