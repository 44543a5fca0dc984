package lint

import (
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/cairn-build/cairn/internal/dfparse"
)

// checkUser flags a final image that runs as root: its last USER is root
// (DL3002), or neither it nor the stages it is built FROM set one
// (CAIRN002).
func checkUser(df *dockerfile, _ *Options) []Finding {
	final := df.final
	for _, i := range df.chain(final) {
		if u := lastUser(df.Stages[i]); u != nil {
			if isRoot(u.User) {
				return []Finding{finding(ruleRootUser, dfparse.RangeLine(u.Location()), "the final image runs as %s: switch to a non-root USER last", u.User)}
			}
			return nil
		}
	}
	if nonrootBase(df, final) {
		return nil
	}
	return []Finding{finding(ruleNoUser, df.StageLine(final), "the final image sets no USER, so it runs as root: add a non-root USER")}
}

// lastUser is the stage's last USER instruction, or nil.
func lastUser(st instructions.Stage) *instructions.UserCommand {
	var last *instructions.UserCommand
	for _, c := range st.Commands {
		if u, ok := c.(*instructions.UserCommand); ok {
			last = u
		}
	}
	return last
}

// isRoot reports whether a USER value names root, by name or uid 0.
func isRoot(user string) bool {
	name, _, _ := strings.Cut(strings.TrimSpace(user), ":")
	return name == "root" || name == "0"
}

// nonrootBase reports whether the final chain ends in an image whose tag
// says it sets a non-root user, as distroless's :nonroot images do.
func nonrootBase(df *dockerfile, final int) bool {
	c := df.chain(final)
	ref, ok := baseImage(df, c[len(c)-1])
	if !ok {
		return false
	}
	t, ok := ref.(reference.Tagged)
	return ok && strings.Contains(t.Tag(), "nonroot")
}
