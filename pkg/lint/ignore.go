package lint

import (
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// ignoreSpan is one instruction's lines and the rules its comments ignore.
type ignoreSpan struct {
	start, end int
	rules      []string
}

type inlineIgnores []ignoreSpan

// inlineIgnores collects "# cairn-ignore=ID,ID" and hadolint's
// "# hadolint ignore=ID,ID" from the comments above each instruction.
// BuildKit attaches every comment since the previous instruction, so a
// blank line between comment and instruction does not break the link.
func (df *dockerfile) inlineIgnores() inlineIgnores {
	var out inlineIgnores
	add := func(comments []string, loc []parser.Range) {
		if rules := ignoredRules(comments); len(rules) > 0 && len(loc) > 0 {
			out = append(out, ignoreSpan{start: loc[0].Start.Line, end: loc[len(loc)-1].End.Line, rules: rules})
		}
	}
	for _, a := range df.Meta {
		add(a.Comments(), a.Location())
	}
	for _, st := range df.Stages {
		add(st.Comments, st.Location)
		for _, c := range st.Commands {
			if cc, ok := c.(interface{ Comments() []string }); ok {
				add(cc.Comments(), c.Location())
			}
		}
	}
	return out
}

// ignores reports whether f lies on an instruction that ignores its rule.
func (ii inlineIgnores) ignores(f Finding) bool {
	for _, s := range ii {
		if f.Line >= s.start && f.Line <= s.end && containsFold(s.rules, f.Rule) {
			return true
		}
	}
	return false
}

// ignoredRules parses the ignore directives among comments.
func ignoredRules(comments []string) []string {
	var out []string
	for _, c := range comments {
		list, ok := strings.CutPrefix(c, "cairn-ignore=")
		if !ok {
			list, ok = strings.CutPrefix(c, "hadolint ignore=")
		}
		if !ok {
			continue
		}
		list, _, _ = strings.Cut(list, " ") // allow a trailing reason
		for _, id := range strings.Split(list, ",") {
			if id = strings.TrimSpace(id); id != "" {
				out = append(out, id)
			}
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
