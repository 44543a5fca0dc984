package config

import (
	"fmt"
	"strings"
)

// template is a string with {variables}: "{repository}:cache-{stage}".
// Variables are repository, stage, target and env.NAME.
type template struct {
	raw   string
	parts []templatePart
}

type templatePart struct {
	literal  string
	variable string // set for a {variable} part
}

// refTemplate parses a ref template that must name {slot}: why says why
// ("every stage needs its own cache ref").
func refTemplate(s, slot, why string, vars []string) (template, error) {
	t, err := parseTemplate(s, vars...)
	if err == nil && !t.uses(slot) {
		err = fmt.Errorf("%q must contain {%s}: %s", s, slot, why)
	}
	return t, err
}

// parseTemplate parses s and checks each variable against allowed.
func parseTemplate(s string, allowed ...string) (template, error) {
	t := template{raw: s}
	rest := s
	for rest != "" {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			t.parts = append(t.parts, templatePart{literal: rest})
			break
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return t, fmt.Errorf("unclosed { in %q", s)
		}
		if open > 0 {
			t.parts = append(t.parts, templatePart{literal: rest[:open]})
		}
		name := rest[open+1 : open+end]
		if !variableAllowed(name, allowed) {
			return t, fmt.Errorf("unknown variable {%s} in %q (known here: %s)", name, s, describeVariables(allowed))
		}
		t.parts = append(t.parts, templatePart{variable: name})
		rest = rest[open+end+1:]
	}
	return t, nil
}

func variableAllowed(name string, allowed []string) bool {
	if env, ok := strings.CutPrefix(name, "env."); ok {
		return env != "" && !strings.ContainsAny(env, "{}= ")
	}
	for _, a := range allowed {
		if name == a {
			return true
		}
	}
	return false
}

func describeVariables(allowed []string) string {
	names := make([]string, 0, len(allowed)+1)
	for _, a := range allowed {
		names = append(names, "{"+a+"}")
	}
	return strings.Join(append(names, "{env.NAME}"), ", ")
}

// uses reports whether the template names a variable.
func (t template) uses(name string) bool {
	for _, p := range t.parts {
		if p.variable == name {
			return true
		}
	}
	return false
}

// expand fills in the variables; env.NAME comes from env and must be set.
func (t template) expand(vars map[string]string, env func(string) (string, bool)) (string, error) {
	var b strings.Builder
	for _, p := range t.parts {
		if p.variable == "" {
			b.WriteString(p.literal)
			continue
		}
		if name, ok := strings.CutPrefix(p.variable, "env."); ok {
			v, set := env(name)
			if !set || v == "" {
				return "", fmt.Errorf("{%s} in %q: environment variable %s is not set", p.variable, t.raw, name)
			}
			b.WriteString(v)
			continue
		}
		b.WriteString(vars[p.variable])
	}
	return b.String(), nil
}
