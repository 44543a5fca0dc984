package cairn

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/moby/buildkit/session"

	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/check"
	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/lint"
)

// gates are the checks of a build's targets: lint on the Dockerfile before
// building, then file, metadata, efficiency and command checks on the
// built images, read from OCI layouts the build writes.
type gates struct {
	cfg     *config.Build
	dir     string            // holds the layouts
	layouts map[string]string // target → layout directory
	reports []*CheckReport
}

// CheckReport is what one target's checks found: its Dockerfile lint
// findings and the results of its image checks.
type CheckReport struct {
	Target     string            `json:"target"`
	Lint       []lint.Finding    `json:"lint"`
	Results    []check.Result    `json:"results"`
	Efficiency *check.Efficiency `json:"efficiency,omitempty"`
}

// Failures counts the error-level findings and failed checks.
func (r *CheckReport) Failures() int {
	n := 0
	for _, f := range r.Lint {
		if f.Severity == lint.Error {
			n++
		}
	}
	for _, res := range r.Results {
		if !res.Passed {
			n++
		}
	}
	return n
}

func newGates(cfg *config.Build) (*gates, error) {
	g := &gates{cfg: cfg, layouts: map[string]string{}}
	if len(cfg.Checks) == 0 {
		return g, nil
	}
	dir, err := os.MkdirTemp("", "cairn-checks-")
	if err != nil {
		return nil, fmt.Errorf("the checks' directory: %w", err)
	}
	g.dir = dir
	for _, target := range sortedTargets(cfg.Checks) {
		g.reports = append(g.reports, &CheckReport{Target: target, Lint: []lint.Finding{}, Results: []check.Result{}})
		if spec := cfg.Checks[target].Spec; !emptySpec(spec) {
			g.layouts[target] = filepath.Join(dir, target)
		}
	}
	return g, nil
}

func (g *gates) cleanup() {
	if g.dir != "" {
		os.RemoveAll(g.dir)
	}
}

// lint runs each target's Dockerfile lint; it needs no daemon.
func (g *gates) lint(ctx context.Context, dockerfile []byte) error {
	for _, r := range g.reports {
		cfg := g.cfg.Checks[r.Target].Lint
		if cfg == nil {
			continue
		}
		severity := map[string]lint.Severity{}
		for rule, s := range cfg.Severity {
			severity[rule] = lint.Severity(s)
		}
		findings, err := lint.Lint(ctx, dockerfile, lint.Options{
			Filename:     g.cfg.Dockerfile,
			BuildArgs:    g.cfg.Args,
			Target:       r.Target,
			ContextFiles: contextFiles(g.cfg.Context),
			Ignore:       cfg.Ignore,
			Severity:     severity,
			PinDigests:   cfg.PinDigests,
		})
		if err != nil {
			return fmt.Errorf("lint for target %s: %w", r.Target, err)
		}
		r.Lint = append(r.Lint, findings...)
	}
	return nil
}

// images runs the checks on the built images.
func (g *gates) images(ctx context.Context, s build.Solver, attach []session.Attachable) error {
	for _, r := range g.reports {
		dir, ok := g.layouts[r.Target]
		if !ok {
			continue
		}
		runner, err := build.NewLayoutRunner(s, dir, attach)
		if err != nil {
			return fmt.Errorf("checks of target %s: %w", r.Target, err)
		}
		results, eff, err := check.Run(ctx, runner.Image(), g.cfg.Checks[r.Target].Spec, runner)
		if err != nil {
			return fmt.Errorf("checks of target %s: %w", r.Target, err)
		}
		r.Results, r.Efficiency = append(r.Results, results...), eff
	}
	return nil
}

// verdict is nil when every gate passed, else an error matching
// ErrChecksFailed that names each failing target.
func (g *gates) verdict() error {
	var errs []error
	for _, r := range g.reports {
		if n := r.Failures(); n > 0 {
			errs = append(errs, fmt.Errorf("target %s: %d checks failed", r.Target, n))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &checksError{errors.Join(errs...)}
}

// ErrChecksFailed is matched (errors.Is) by the error of a run in which
// an error-level lint finding or an image check failed.
var ErrChecksFailed = errors.New("checks failed")

type checksError struct{ err error }

func (e *checksError) Error() string        { return e.err.Error() }
func (e *checksError) Is(target error) bool { return target == ErrChecksFailed }
func (e *checksError) Unwrap() error        { return e.err }

func emptySpec(s check.Spec) bool {
	return len(s.Files) == 0 && s.Metadata == nil && len(s.Commands) == 0 && s.Efficiency == nil
}

func sortedTargets(m map[string]config.TargetChecks) []string {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// contextFiles lists the build context's top-level names, for the lint's
// .dockerignore rule; nil when the context cannot be read.
func contextFiles(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names
}
