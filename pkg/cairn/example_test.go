package cairn_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/render"
)

// Load plans a build without a daemon or a registry: which stages each
// target needs, and the tags a publish would move.
func ExampleLoad() {
	p, err := cairn.Load(context.Background(), cairn.LoadOptions{
		Config:    "../../examples/node-style/build.yaml",
		Overrides: config.Overrides{Repository: "registry.example.com/team/app"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range p.Plan.Targets {
		fmt.Printf("target %s: %s\n", t.Name, strings.Join(t.Stages, " → "))
	}
	for _, tag := range p.Tags() {
		fmt.Printf("%-5s %s (stage %s)\n", tag.Kind, tag.Ref, tag.Stage)
	}
	// Output:
	// target runtime: deps → builder → runtime
	// cache registry.example.com/team/app:cache-deps (stage deps)
	// cache registry.example.com/team/app:cache-builder (stage builder)
	// cache registry.example.com/team/app:cache-runtime (stage runtime)
	// final registry.example.com/team/app:latest (stage runtime)
}

// Run is `cairn build --push` inside a Go program: lint, build, check, and
// move the tags only when everything succeeded.
func ExampleRun() {
	ctx := context.Background()
	p, err := cairn.Load(ctx, cairn.LoadOptions{Config: "build.yaml"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	c, err := cairn.Dial(ctx, cairn.DaemonOptions{Addr: os.Getenv("BUILDKIT_HOST")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	defer c.Close()
	display, err := render.NewDisplay(ctx, os.Stderr, "plain")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	report, err := cairn.Run(ctx, cairn.On(c), p, cairn.RunOptions{
		Push:   true,
		Status: display.Status(),
		Logger: render.NoteLogger(os.Stderr),
	})
	display.Close()
	if report != nil {
		_ = render.Report(os.Stdout, report)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}
