package lint

import (
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/cairn-build/cairn/internal/dfparse"
)

// checkSecrets flags ENV and ARG names that look like secrets (CAIRN003):
// their values end up in the image config or its history.
func checkSecrets(df *dockerfile, _ *Options) []Finding {
	var out []Finding
	flag := func(kind, name string, loc []parser.Range) {
		if secretName(name) {
			out = append(out, finding(ruleSecretName, dfparse.RangeLine(loc), "%s %s looks like a secret: its value is kept in the image; use RUN --mount=type=secret", kind, name))
		}
	}
	for _, a := range df.Meta {
		for _, kv := range a.Args {
			flag("ARG", kv.Key, a.Location())
		}
	}
	for _, st := range df.Stages {
		for _, c := range st.Commands {
			switch c := c.(type) {
			case *instructions.ArgCommand:
				for _, kv := range c.Args {
					flag("ARG", kv.Key, c.Location())
				}
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					flag("ENV", kv.Key, c.Location())
				}
			}
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
