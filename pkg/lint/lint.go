package lint

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/cairn-build/cairn/internal/dfparse"
)

// Severity of a finding.
type Severity string

const (
	Error   Severity = "error" // fails the gate: nothing is published
	Warning Severity = "warning"
	Info    Severity = "info"
	// Off, as an Options.Severity value, drops a rule's findings.
	Off Severity = "off"
)

// Options configure Lint.
type Options struct {
	Filename  string // for messages; default "Dockerfile"
	BuildArgs map[string]string
	// Target is the stage that is the final image ("" = last stage), by
	// AS name or index; rules about the final image (USER) apply to it.
	Target string
	// ContextFiles lists the build context's top-level file names, to
	// check for a .dockerignore; nil skips that rule.
	ContextFiles []string
	Ignore       []string            // rule ids ignored everywhere (from build.yaml)
	Severity     map[string]Severity // per-rule severity overrides; Off or "" drops the rule
	// PinDigests turns on CAIRN001, a warning for every base image
	// without a digest pin. Default false: the rule is off.
	PinDigests bool
}

// Finding is one rule violation.
type Finding struct {
	Rule     string   `json:"rule"` // e.g. "DL3007", "CAIRN003", "buildkit/FromAsCasing"
	Severity Severity `json:"severity"`
	Line     int      `json:"line"` // 1-based; 0 if none
	Message  string   `json:"message"`
	URL      string   `json:"url,omitempty"`
}

// Lint checks a Dockerfile. It returns the findings sorted by line then
// rule. It fails only when the options are invalid or the Dockerfile
// cannot be parsed (a *ParseError carrying BuildKit's error and line).
func Lint(ctx context.Context, dockerfile []byte, opts Options) ([]Finding, error) {
	if opts.Filename == "" {
		opts.Filename = "Dockerfile"
	}
	if err := validateSeverities(opts.Severity); err != nil {
		return nil, err
	}
	df, err := parse(dockerfile, &opts)
	if err != nil {
		return nil, err
	}
	found, err := buildkitFindings(ctx, dockerfile, df, opts, offlineResolver{})
	if err != nil {
		return nil, err
	}
	for _, check := range checks() {
		found = append(found, check(df, &opts)...)
	}
	return finish(df, found, &opts), nil
}

// check is one of cairn's rules (or a family of them) over a parsed
// Dockerfile.
type check func(df *dockerfile, opts *Options) []Finding

func checks() []check {
	return []check{
		checkFrom, checkUser, checkDeletedLater, checkDockerignore,
		perInstruction(addURL, secretNames),
		perRun(packageCaches, unverifiedDownload, pipefail),
	}
}

// instructionRule is a rule about one instruction on its own.
type instructionRule func(c instructions.Command) []Finding

// perInstruction checks every instruction with the rules: the global ARGs
// before the first FROM, then each stage's.
func perInstruction(rules ...instructionRule) check {
	return func(df *dockerfile, _ *Options) []Finding {
		var all []instructions.Command
		for i := range df.Meta {
			all = append(all, &df.Meta[i])
		}
		for _, st := range df.Stages {
			all = append(all, st.Commands...)
		}
		var out []Finding
		for _, c := range all {
			for _, rule := range rules {
				out = append(out, rule(c)...)
			}
		}
		return out
	}
}

// runRule is a rule about one RUN on its own: it gets the RUN (its
// mounts, its stage's SHELL) and its parsed script.
type runRule func(run dfparse.Run, r runScript) []Finding

// perRun checks each RUN with the rules, its script parsed once for all.
func perRun(rules ...runRule) check {
	return func(df *dockerfile, _ *Options) []Finding {
		var out []Finding
		for run := range df.Runs(df.bases) {
			r := parseRun(run)
			for _, rule := range rules {
				out = append(out, rule(run, r)...)
			}
		}
		return out
	}
}

// finish applies ignores and severity overrides, then sorts and dedupes.
func finish(df *dockerfile, found []Finding, opts *Options) []Finding {
	inline := df.inlineIgnores()
	out := make([]Finding, 0, len(found))
	for _, f := range found {
		if containsFold(opts.Ignore, f.Rule) || inline.ignores(f) {
			continue
		}
		if s, ok := severityFor(opts.Severity, f.Rule); ok {
			if s == Off || s == "" {
				continue
			}
			f.Severity = s
		}
		out = append(out, f)
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Message, b.Message))
	})
	return slices.Compact(out)
}

// validateSeverities rejects overrides that are not a known severity.
func validateSeverities(m map[string]Severity) error {
	for rule, s := range m {
		switch s {
		case Error, Warning, Info, Off, "":
		default:
			return fmt.Errorf("lint: severity %q for rule %s: want error, warning, info or off", s, rule)
		}
	}
	return nil
}

// severityFor looks rule up in the overrides, ignoring case like
// Options.Ignore does.
func severityFor(m map[string]Severity, rule string) (Severity, bool) {
	if s, ok := m[rule]; ok {
		return s, true
	}
	for id, s := range m {
		if strings.EqualFold(id, rule) {
			return s, true
		}
	}
	return "", false
}

// finding builds a finding for one of cairn's rules at its default
// severity.
func finding(rule string, line int, format string, args ...any) Finding {
	return Finding{
		Rule:     rule,
		Severity: defaultSeverity(rule),
		Line:     line,
		Message:  fmt.Sprintf(format, args...),
		URL:      ruleURL(rule),
	}
}
