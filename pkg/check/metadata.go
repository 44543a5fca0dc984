package check

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// checkMetadata compares the image config with m, one Result per field
// checked, so a report names exactly what is wrong.
func checkMetadata(cfg v1.Config, m MetadataCheck) []Result {
	var out []Result
	add := func(name string, ok bool, msg string) {
		out = append(out, Result{Kind: KindMetadata, Name: name, Passed: ok, Message: msg})
	}
	env := envMap(cfg.Env)
	for _, key := range slices.Sorted(maps.Keys(m.Env)) {
		value, set := env[key]
		ok, msg := matchValue("env "+key, value, set, m.Env[key])
		add("env "+key, ok, msg)
	}
	for _, key := range slices.Sorted(maps.Keys(m.Labels)) {
		value, set := cfg.Labels[key]
		ok, msg := matchValue("label "+key, value, set, m.Labels[key])
		add("label "+key, ok, msg)
	}
	for _, r := range portResults(cfg.ExposedPorts, m.ExposedPorts, m.UnexposedPorts) {
		add(r.Name, r.Passed, r.Message)
	}
	for _, r := range volumeResults(cfg.Volumes, m.Volumes, m.UnmountedVolumes) {
		add(r.Name, r.Passed, r.Message)
	}
	if m.Entrypoint != nil {
		add("entrypoint", slices.Equal(cfg.Entrypoint, m.Entrypoint), compared("entrypoint", quoteList(cfg.Entrypoint), quoteList(m.Entrypoint)))
	}
	if m.Cmd != nil {
		add("cmd", slices.Equal(cfg.Cmd, m.Cmd), compared("cmd", quoteList(cfg.Cmd), quoteList(m.Cmd)))
	}
	if m.Workdir != "" {
		add("workdir", cfg.WorkingDir == m.Workdir, compared("workdir", fmt.Sprintf("%q", cfg.WorkingDir), fmt.Sprintf("%q", m.Workdir)))
	}
	if m.User != "" {
		add("user", cfg.User == m.User, compared("user", fmt.Sprintf("%q", cfg.User), fmt.Sprintf("%q", m.User)))
	}
	if m.NotRoot {
		ok := !isRoot(cfg.User)
		msg := fmt.Sprintf("user %q is not root", cfg.User)
		if !ok {
			msg = fmt.Sprintf("user %q runs as root", cfg.User)
		}
		add("notRoot", ok, msg)
	}
	return out
}

// compared is the message for an exact comparison.
func compared(field, got, want string) string {
	if got == want {
		return field + " " + got
	}
	return fmt.Sprintf("%s %s, want %s", field, got, want)
}

func quoteList(l []string) string {
	if l == nil {
		return "[] (unset)"
	}
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// matchValue checks a set value against a regex.
func matchValue(what, value string, set bool, pattern string) (bool, string) {
	if !set {
		return false, what + " is not set"
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return false, fmt.Sprintf("invalid regex %q: %v", pattern, err)
	}
	if !re.MatchString(value) {
		return false, fmt.Sprintf("%s is %q, want a match of %q", what, value, pattern)
	}
	return true, fmt.Sprintf("%s is %q", what, value)
}

func portResults(exposed map[string]struct{}, want, unwanted []string) []Result {
	var out []Result
	for _, p := range want {
		out = append(out, portResult("exposedPort "+p, exposed, p, true))
	}
	for _, p := range unwanted {
		out = append(out, portResult("unexposedPort "+p, exposed, p, false))
	}
	return out
}

func portResult(name string, exposed map[string]struct{}, port string, want bool) Result {
	norm, err := normalizePort(port)
	if err != nil {
		return Result{Kind: KindMetadata, Name: name, Message: err.Error()}
	}
	_, is := exposed[norm]
	return presence(name, norm, "exposed", is, want)
}

func volumeResults(volumes map[string]struct{}, want, unwanted []string) []Result {
	has := func(v string) bool {
		for declared := range volumes {
			if path.Clean(declared) == path.Clean(v) {
				return true
			}
		}
		return false
	}
	var out []Result
	for _, v := range want {
		out = append(out, presence("volume "+v, v, "a volume", has(v), true))
	}
	for _, v := range unwanted {
		out = append(out, presence("unmountedVolume "+v, v, "a volume", has(v), false))
	}
	return out
}

// presence is the Result of wanting subject to be (or not be) what.
func presence(name, subject, what string, is, want bool) Result {
	msg := subject + " is " + what
	if !is {
		msg = subject + " is not " + what
	}
	return Result{Kind: KindMetadata, Name: name, Passed: is == want, Message: msg}
}

// isRoot reports whether a config user runs as root: empty (the default),
// root or uid 0, with any group.
func isRoot(user string) bool {
	name, _, _ := strings.Cut(user, ":")
	return name == "" || name == "root" || name == "0"
}

// envMap reads "KEY=value" pairs; a later one wins, as in a container.
func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}
