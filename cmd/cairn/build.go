package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/docker/cli/cli/config"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
	"github.com/moby/buildkit/util/progress/progressui"
	"github.com/urfave/cli/v2"

	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/cache"
	"github.com/cairn-build/cairn/pkg/planner"
	"github.com/cairn-build/cairn/pkg/push"
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
		Flags: append(planFlags(), append(daemonFlags(),
			&cli.BoolFlag{Name: "push", Usage: "publish: stage by digest while building, then move cache and final tags, all or nothing"},
			&cli.BoolFlag{Name: "dry-run", Usage: "print the tags --push would move, from their current digest, without building"},
			&cli.StringFlag{Name: "progress", Value: "auto", Usage: "progress display: auto, tty, plain, rawjson or quiet"},
			&cli.StringFlag{Name: "metadata-file", Usage: "write per-stage digests, cache refs and durations as JSON to `FILE`"},
		)...),
		Action: runBuild,
	}
}

func runBuild(c *cli.Context) error {
	cfg, plan, err := loadBuild(c)
	if err != nil {
		return err
	}
	registries := cache.Registries{Insecure: cfg.InsecureRegistries}
	if c.Bool("dry-run") {
		return dryRun(c, plan, registries)
	}
	mode := progressui.DisplayMode(c.String("progress"))
	display, err := progressui.NewDisplay(c.App.ErrWriter, mode)
	if err != nil {
		return usageError{fmt.Errorf("--progress: %w", err)}
	}
	bk, err := connect(c)
	if err != nil {
		return err
	}
	defer bk.Close()

	status := make(chan *client.SolveStatus)
	displayed := make(chan struct{})
	go func() {
		defer close(displayed)
		// The display shows the build to its end, cancellation included; a
		// display error must not hide the build's, and whatever it leaves
		// unread is drained so the solves never block on it.
		_, _ = display.UpdateFrom(context.WithoutCancel(c.Context), status)
		for range status {
		}
	}()
	res, err := build.Run(c.Context, bk, plan, build.Options{
		Context:    cfg.Context,
		Dockerfile: cfg.Dockerfile,
		Args:       cfg.Args,
		Platforms:  cfg.Platforms,
		CacheMode:  cfg.CacheMode,
		Push:       c.Bool("push"),
		Registries: registries,
		Session:    []session.Attachable{authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{AuthConfigProvider: authprovider.LoadAuthConfig(config.LoadDefaultConfigFile(c.App.ErrWriter))})},
		Status:     status,
		Notef:      func(f string, a ...any) { fmt.Fprintf(c.App.ErrWriter, "note: "+f+"\n", a...) },
	})
	<-displayed
	report := &buildReport{Result: res}
	switch {
	case err != nil && res != nil && c.Bool("push"):
		err = fmt.Errorf("%w\nnothing published: no tag was created or moved", err)
	case err == nil && c.Bool("push"):
		report.Tags, err = push.Commit(c.Context, res.Moves(), push.WithInsecure(registries.IsInsecure))
	}
	if res != nil {
		writeSummary(c.App.Writer, report)
		if path := c.String("metadata-file"); path != "" {
			if werr := writeMetadata(path, report); werr != nil {
				return errors.Join(err, werr)
			}
		}
	}
	return err
}

// buildReport is what a build did: the metadata file's content.
type buildReport struct {
	*build.Result
	Tags []push.TagResult `json:"tags,omitempty"`
}

// dryRun prints every tag --push would move and where it points now.
func dryRun(c *cli.Context, plan *planner.Plan, registries cache.Registries) error {
	var tags []string
	for _, s := range plan.Stages {
		if s.Standalone && s.CacheExport != "" {
			tags = append(tags, s.CacheExport)
		}
	}
	for _, s := range plan.Stages {
		tags = append(tags, s.Tags...)
	}
	current, err := push.Current(c.Context, tags, push.WithInsecure(registries.IsInsecure))
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
