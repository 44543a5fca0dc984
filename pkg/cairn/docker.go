package cairn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/moby/buildkit/client"

	"github.com/cairn-build/cairn/pkg/bases"
	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/planner"
)

// ErrNoDockerEngine is matched (errors.Is) by the error of a --load run
// on a machine where no Docker engine answers.
var ErrNoDockerEngine = errors.New("no Docker engine reachable")

const optLoad = "Overrides.Docker.Load" // what the errors of loading name

// Preflight checks, before anything is built, what would make the run
// fail later: a publish with nothing to publish or with final tags the
// build may not move (config.HeldTagsError), secrets and SSH agents
// that cannot be read, a --no-cache-filter naming no planned stage, and
// --load without a Docker engine. Run calls it first; the CLI calls it
// before dialing the daemon, which is then not the problem.
func (p *Project) Preflight(ctx context.Context, opts RunOptions) error {
	if opts.Push {
		if err := p.Publishable(); err != nil {
			return err
		}
		// Before anything is built: a pull request build never moves a
		// final tag that is not its own.
		if err := p.Config.Release.Err(); err != nil {
			return fmt.Errorf("%w\n%w", err, ErrNothingPublished)
		}
	}
	if _, err := build.Attachables(p.Config.Solve); err != nil {
		return err
	}
	for _, name := range p.Config.Solve.NoCacheFilter {
		if !slices.ContainsFunc(p.Plan.Stages, func(s planner.StagePlan) bool { return strings.EqualFold(s.Name, name) }) {
			return &config.OptionError{Option: "Overrides.Docker.NoCacheFilter", Err: fmt.Errorf("%q is none of the stages the targets need (%s)", name, stageNames(p))}
		}
	}
	if p.Config.Solve.Load {
		return dockerEngine(ctx)
	}
	return nil
}

// dockerEngine is nil when the docker CLI reaches an engine.
func dockerEngine(ctx context.Context) error {
	if _, err := exec.LookPath("docker"); err != nil {
		return &config.OptionError{Option: optLoad, Err: fmt.Errorf("%w: no docker CLI in PATH", ErrNoDockerEngine)}
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", "version", "--format", "{{.Server.Version}}").CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if msg == "" {
			msg = err.Error()
		}
		return &config.OptionError{Option: optLoad, Err: fmt.Errorf("%w: %s (an output of type=docker writes the archive without one)", ErrNoDockerEngine, msg)}
	}
	return nil
}

// local is what a run leaves on this machine besides the report: the -o
// outputs (BuildKit writes them while solving), --load and --iidfile.
type local struct {
	p       *Project
	loadDir string // the docker archives --load loads, one per target
}

// buildOptions are the build's options, all made here: the project's,
// the run's, the checks' layouts, the bases' stage options, docker
// build's, the targets' labels, annotations and outputs, and the secrets
// and SSH agents. out is what the build leaves on this machine.
func (o RunOptions) buildOptions(p *Project, g *gates, checked *bases.Checked) (bo build.Options, out *local, err error) {
	cfg, s := p.Config, p.Config.Solve
	attach, err := build.Attachables(p.Config.Solve)
	if err != nil {
		return bo, nil, err
	}
	out = &local{p: p}
	if s.Load {
		if out.loadDir, err = os.MkdirTemp("", "cairn-load-"); err != nil {
			return bo, nil, err
		}
	}
	targets := make(map[string]build.TargetOptions, len(p.Plan.Targets))
	for _, t := range p.Plan.Targets {
		opts := build.TargetOptions{Labels: s.Labels, Annotations: s.Annotations, Attests: cfg.Attests(t.Name, o.Push).On()}
		for _, o := range cfg.Outputs(t.Name) {
			opts.Outputs = append(opts.Outputs, build.LocalOutput(o))
		}
		if out.loadDir != "" {
			opts.Outputs = append(opts.Outputs, build.LocalOutput{Type: client.ExporterDocker, Dest: out.archive(t.Name)})
		}
		targets[t.Name] = opts
	}
	return build.Options{
		Context: cfg.Context, Dockerfile: cfg.Dockerfile, Args: cfg.Args, Platforms: cfg.Platforms, CacheMode: cfg.CacheMode,
		Push: o.Push, Registry: o.Registry, Session: slices.Concat(o.Session, attach), Status: o.Status,
		Logger:          o.Logger,
		SourceDateEpoch: p.Source.Epoch, RewriteTimestamp: o.RewriteTimestamp, FinalLabels: p.Source.finalLabels(),
		Layouts: g.layouts, Docker: s.SolveOptions, Targets: targets, Stages: checked.StageOptions(p.Plan),
	}, out, nil
}

// checkBases checks the bases of the project's stages before a build, when
// baseImages.refresh is on; nil otherwise.
func (o RunOptions) checkBases(ctx context.Context, p *Project) *bases.Checked {
	if !p.Config.RefreshBases {
		return nil
	}
	return bases.Refresh(ctx, o.Registry, p.Plan, p.TargetPlatforms(), o.Logger)
}

func (l *local) archive(target string) string { return filepath.Join(l.loadDir, target+".tar") }

func (l *local) cleanup() {
	if l.loadDir != "" {
		os.RemoveAll(l.loadDir)
	}
}

// finish writes each target's image ID to its --iidfile, then loads the
// targets into the Docker engine, each shown as a step of the build.
func (l *local) finish(ctx context.Context, res *build.Result, status chan<- *client.SolveStatus, logger *slog.Logger) error {
	for _, t := range l.p.Plan.Targets {
		final, _ := res.Final(t.Name)
		path := l.p.Config.IIDFile(t.Name)
		if path == "" {
			continue
		}
		// docker's image ID is the config digest; a multi-platform image
		// has none, and docker then writes the index digest.
		id := final.ConfigDigest
		if id == "" {
			id = final.Digest
		}
		if err := os.WriteFile(path, []byte(id), 0o644); err != nil {
			return &config.OptionError{Option: "Overrides.Docker.IIDFile", Err: err}
		}
	}
	if l.loadDir == "" {
		return nil
	}
	for _, t := range l.p.Plan.Targets {
		step := build.StartStep(status, "[load] docker load: target "+t.Name)
		out, err := exec.CommandContext(ctx, "docker", "load", "--input", l.archive(t.Name)).CombinedOutput()
		lines := strings.SplitAfter(strings.TrimSpace(string(out)), "\n")
		step.End(lines, err)
		if err != nil {
			return &config.OptionError{Option: optLoad, Err: fmt.Errorf("target %s: docker load: %w: %s", t.Name, err, strings.TrimSpace(string(out)))}
		}
		logger.Info(fmt.Sprintf("target %s: %s", t.Name, strings.TrimSpace(string(out))))
	}
	return nil
}

func stageNames(p *Project) string {
	names := make([]string, len(p.Plan.Stages))
	for i, s := range p.Plan.Stages {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}
