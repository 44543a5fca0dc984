package main

import (
	"encoding/json"
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
)

func buildCommand() *cli.Command {
	return &cli.Command{
		Name:  "build",
		Usage: "build every stage the targets need through BuildKit, with per-stage remote caches",
		Description: "Solves every planned stage concurrently on one BuildKit daemon, importing the caches\n" +
			"the plan lists (a missing one is a note). Without --push nothing is written to any\n" +
			"registry. With --push, stage images, caches and tags are pushed plainly as each stage\n" +
			"finishes: the all-or-nothing publish is not there yet (issue #5).",
		Flags: append(planFlags(), append(daemonFlags(),
			&cli.BoolFlag{Name: "push", Usage: "push stage caches and final tags (plainly, not yet transactional)"},
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
		// The display only reads; a display error must not hide the build's.
		_, _ = display.UpdateFrom(c.Context, status)
	}()
	if c.Bool("push") {
		fmt.Fprintln(c.App.ErrWriter, "note: --push pushes each stage as it finishes; all-or-nothing publishing is not implemented yet")
	}
	res, buildErr := build.Run(c.Context, bk, plan, build.Options{
		Context:    cfg.Context,
		Dockerfile: cfg.Dockerfile,
		Args:       cfg.Args,
		Platforms:  cfg.Platforms,
		CacheMode:  cfg.CacheMode,
		Push:       c.Bool("push"),
		Registries: cache.Registries{Insecure: cfg.InsecureRegistries},
		Session:    []session.Attachable{authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{AuthConfigProvider: authprovider.LoadAuthConfig(config.LoadDefaultConfigFile(c.App.ErrWriter))})},
		Status:     status,
		Notef:      func(f string, a ...any) { fmt.Fprintf(c.App.ErrWriter, "note: "+f+"\n", a...) },
	})
	<-displayed
	if res != nil {
		writeSummary(c.App.Writer, res)
		if path := c.String("metadata-file"); path != "" {
			if err := writeMetadata(path, res); err != nil {
				return err
			}
		}
	}
	return buildErr
}

func writeMetadata(path string, res *build.Result) error {
	data, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write metadata file: %w", err)
	}
	return nil
}
