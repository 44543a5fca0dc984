package lint

import (
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/cairn-build/cairn/internal/dfparse"
)

// secretNames flags ENV and ARG names that look like secrets (CAIRN003):
// their values end up in the image config or its history.
func secretNames(c instructions.Command) []Finding {
	kind, names := "ARG", []string(nil)
	switch c := c.(type) {
	case *instructions.ArgCommand:
		for _, kv := range c.Args {
			names = append(names, kv.Key)
		}
	case *instructions.EnvCommand:
		kind = "ENV"
		for _, kv := range c.Env {
			names = append(names, kv.Key)
		}
	}
	var out []Finding
	for _, name := range names {
		if secretName(name) {
			out = append(out, finding(ruleSecretName, dfparse.RangeLine(c.Location()), "%s %s looks like a secret: its value is kept in the image; use RUN --mount=type=secret", kind, name))
		}
	}
	return out
}

// secretName reports whether an ENV or ARG name looks like a secret.
func secretName(name string) bool {
	up := strings.ToUpper(name)
	for _, s := range []string{"PASSWORD", "PASSWD", "TOKEN", "SECRET", "API_KEY", "APIKEY", "PRIVATE_KEY", "ACCESS_KEY", "CREDENTIALS"} {
		if strings.Contains(up, s) {
			return true
		}
	}
	return strings.HasSuffix(up, "_KEY")
}
