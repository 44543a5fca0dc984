package lint

import (
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/cairn-build/cairn/internal/dfparse"
)

// addURL flags ADD of an http(s) URL without --checksum (CAIRN007):
// nothing verifies what was downloaded. hadolint's DL3020 is a different
// rule (ADD of local files), so this one has a cairn id.
func addURL(c instructions.Command) []Finding {
	add, ok := c.(*instructions.AddCommand)
	if !ok || add.Checksum != "" {
		return nil
	}
	var out []Finding
	for _, src := range add.SourcePaths {
		if isHTTPURL(src) {
			out = append(out, finding(ruleAddURL, dfparse.RangeLine(add.Location()), "ADD %s downloads without verifying it: use curl/wget with a checksum, ADD --checksum, or COPY", src))
		}
	}
	return out
}

// isHTTPURL reports whether s is an http:// or https:// URL.
func isHTTPURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}
