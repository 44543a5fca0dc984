package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/util/progress/progressui"
	"github.com/urfave/cli/v2"

	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/planner"
	"github.com/cairn-build/cairn/pkg/push"
	"github.com/cairn-build/cairn/pkg/registry"
)

func buildCommand() *cli.Command {
	return &cli.Command{
		Name:  "build",
		Usage: "build every stage the targets need through BuildKit, with per-stage remote caches",
		Description: "Solves every planned stage on one BuildKit daemon, each as soon as the stages it\n" +
			"depends on are done, importing the caches the plan lists (a missing one is a note).\n" +
			"Without --push nothing is written to any registry. With --push, images and caches are\n" +
			"uploaded by digest while building, and tags move only when every stage succeeded:\n" +
			"cache tags first, final tags last; if a tag cannot be moved, the moved ones are put back.",
		Flags: append(append(planFlags(), outputFlags()...), append(daemonFlags(),
			&cli.BoolFlag{Name: "push", Usage: "publish: stage by digest while building, then move cache and final tags, all or nothing"},
			&cli.BoolFlag{Name: "dry-run", Usage: "print the tags --push would move, from their current digest, without building"},
		)...),
		Action: runBuild,
	}
}

func runBuild(c *cli.Context) error {
	if c.Bool("dry-run") {
		cfg, plan, err := loadBuild(c)
		if err != nil {
			return err
		}
		return dryRun(c, cfg, plan)
	}
	return execute(c, c.Bool("push"))
}

// execute lints, builds, checks and, when publishing, commits the tags: each
// step only when everything before it succeeded.
func execute(c *cli.Context, publish bool) error {
	cfg, plan, err := loadBuild(c)
	if err != nil {
		return err
	}
	display, err := progressui.NewDisplay(c.App.ErrWriter, progressui.DisplayMode(c.String("progress")))
	if err != nil {
		return usageError{fmt.Errorf("--progress: %w", err)}
	}
	g, err := newGates(cfg)
	if err != nil {
		return err
	}
	defer g.cleanup()
	if err := lintFirst(c, g, publish); err != nil {
		return err
	}
	bk, err := connect(c)
	if err != nil {
		return err
	}
	defer bk.Close()
	opts, err := buildOptions(c, cfg, publish)
	if err != nil {
		return err
	}
	opts.Layouts = g.layouts
	status, displayed := showProgress(c.Context, display)
	opts.Status = status
	res, err := build.Run(c.Context, bk, plan, opts)
	if err == nil {
		if err = g.images(c.Context, bk, opts.Session); err == nil {
			err = g.verdict()
		}
	}
	report := &buildReport{Result: res, Targets: targetReports(plan, res), Checks: g.reports}
	switch {
	case err != nil && publish:
		err = fmt.Errorf("%w\nnothing published: no tag was created or moved", err)
	case publish:
		step := startStep(status, "[publish] move tags: caches first, final tags last")
		report.Tags, err = push.Commit(c.Context, opts.Registry, res.Moves())
		step.done(report.Tags, err)
	}
	close(status)
	<-displayed
	return errors.Join(err, printReport(c, g, report))
}

// lintFirst lints the Dockerfile before anything is built: a publish with an
// error-level finding stops here, having built and pushed nothing.
func lintFirst(c *cli.Context, g *gates, publish bool) error {
	dockerfile, err := os.ReadFile(g.cfg.Dockerfile)
	if err != nil {
		return err
	}
	if err := g.lint(c.Context, dockerfile); err != nil {
		return err
	}
	if err := g.verdict(); err != nil && publish {
		g.write(c.App.ErrWriter)
		return fmt.Errorf("%w\nnothing built or published", err)
	}
	return nil
}

// buildOptions are the build's options from the config and the flags.
func buildOptions(c *cli.Context, cfg *config.Build, publish bool) (build.Options, error) {
	reg, err := registry.New(registry.WithInsecure(cfg.InsecureRegistries...))
	if err != nil {
		return build.Options{}, err
	}
	return build.Options{
		Context:    cfg.Context,
		Dockerfile: cfg.Dockerfile,
		Args:       cfg.Args,
		Platforms:  cfg.Platforms,
		CacheMode:  cfg.CacheMode,
		Push:       publish,
		Registry:   reg,
		// BuildKit's credentials, from the keychain cairn's own requests use.
		Session: []session.Attachable{reg.SessionAuth()},
		Notef:   func(f string, a ...any) { fmt.Fprintf(c.App.ErrWriter, "note: "+f+"\n", a...) },
	}, nil
}

// showProgress feeds BuildKit's display from the channel it returns, which
// the caller closes; the second channel closes when the display is done.
func showProgress(ctx context.Context, display progressui.Display) (chan *client.SolveStatus, <-chan struct{}) {
	status := make(chan *client.SolveStatus)
	done := make(chan struct{})
	go func() {
		defer close(done)
		// The display shows the build to its end, cancellation included; a
		// display error must not hide the build's, and whatever it leaves
		// unread is drained so the solves never block on it.
		_, _ = display.UpdateFrom(context.WithoutCancel(ctx), status)
		for range status {
		}
	}()
	return status, done
}

func printReport(c *cli.Context, g *gates, report *buildReport) error {
	if report.Result == nil {
		return nil
	}
	writeSummary(c.App.Writer, report)
	g.write(c.App.Writer)
	if path := c.String("metadata-file"); path != "" {
		return writeMetadata(path, report)
	}
	return nil
}

// buildReport is what a build did: the metadata file's content.
type buildReport struct {
	*build.Result
	Targets []targetReport   `json:"targets"`
	Checks  []*gateReport    `json:"checks,omitempty"`
	Tags    []push.TagResult `json:"tags,omitempty"`
}

// targetReport is a target's image: its stage's digest, and its tags.
type targetReport struct {
	Name   string   `json:"name"`
	Digest string   `json:"digest,omitempty"`
	Tags   []string `json:"tags"`
}

func targetReports(plan *planner.Plan, res *build.Result) []targetReport {
	digests := map[string]string{}
	if res != nil {
		for _, s := range res.Stages {
			digests[s.Name] = s.Digest
		}
	}
	reports := make([]targetReport, len(plan.Targets))
	for i, t := range plan.Targets {
		reports[i] = targetReport{Name: t.Name, Digest: digests[t.Name], Tags: t.Tags}
	}
	return reports
}

// dryRun prints every tag --push would move and where it points now.
func dryRun(c *cli.Context, cfg *config.Build, plan *planner.Plan) error {
	var tags []string
	for _, s := range plan.Stages {
		if s.Standalone && s.CacheExport != "" {
			tags = append(tags, s.CacheExport)
		}
	}
	for _, s := range plan.Stages {
		tags = append(tags, s.Tags...)
	}
	reg, err := registry.New(registry.WithInsecure(cfg.InsecureRegistries...))
	if err != nil {
		return err
	}
	current, err := push.Current(c.Context, reg, tags)
	if err != nil {
		return err
	}
	w := c.App.Writer
	for _, tag := range tags {
		from := current[tag]
		if from == "" {
			from = "(new tag)"
		}
		fmt.Fprintf(w, "%s: %s -> (this build)\n", tag, from)
	}
	return nil
}

func writeMetadata(path string, report *buildReport) error {
	data, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write metadata file: %w", err)
	}
	return nil
}

// outputFlags say how a build shows its progress and where its record goes.
func outputFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "progress", Value: "auto", Usage: "progress display: auto, tty, plain, rawjson or quiet"},
		&cli.StringFlag{Name: "metadata-file", Usage: "write per-stage digests, cache refs, durations, checks and tags as JSON to `FILE`"},
	}
}

func checkCommand() *cli.Command {
	return &cli.Command{
		Name:  "check",
		Usage: "build the targets and run their checks (build.yaml checks:), publishing nothing",
		Description: "Lints the Dockerfile, builds every stage the targets need, and runs each target's\n" +
			"file, metadata, command and efficiency checks on its image (commands run inside\n" +
			"BuildKit: no Docker engine needed). Exits non-zero when an error-level check fails;\n" +
			"`cairn build --push` runs the same checks and publishes nothing unless they pass.",
		Flags:  append(append(planFlags(), outputFlags()...), daemonFlags()...),
		Action: func(c *cli.Context) error { return execute(c, false) },
	}
}
