package dfparse

import (
	"iter"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

// Adds walks every ADD instruction, in Dockerfile order.
func (df *Dockerfile) Adds() iter.Seq[*instructions.AddCommand] {
	return func(yield func(*instructions.AddCommand) bool) {
		for _, st := range df.Stages {
			for _, c := range st.Commands {
				if add, ok := c.(*instructions.AddCommand); ok && !yield(add) {
					return
				}
			}
		}
	}
}

// IsHTTPURL reports whether an ADD source is an http:// or https:// URL,
// which BuildKit downloads.
func IsHTTPURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}
