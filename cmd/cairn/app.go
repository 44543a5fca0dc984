package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/moby/buildkit/util/suggest"
	"github.com/urfave/cli/v2"

	"github.com/cairn-build/cairn/pkg/bases"
	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/cairn/options"
)

// Exit codes, mapped in one place.
const (
	exitOK       = 0
	exitFailure  = 1
	exitUsage    = 2
	exitOutdated = 3 // cairn outdated: a base image moved
	exitCanceled = 130
)

// run is main without os.Exit, so tests drive the CLI in process.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	app := newApp(stdout, stderr)
	err := options.Flags(app.RunContext(ctx, options.Interspersed(app, args))) // the library names options, the CLI flags
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		fmt.Fprintln(stderr, "cairn: canceled")
		return exitCanceled
	case errors.As(err, new(*options.UsageError)):
		fmt.Fprintln(stderr, "cairn:", err)
		return exitUsage
	case errors.As(err, new(*bases.MovedError)):
		fmt.Fprintln(stderr, "cairn:", err)
		return exitOutdated
	default:
		fmt.Fprintln(stderr, "cairn:", err)
		return exitFailure
	}
}

func newApp(stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:  "cairn",
		Usage: "build multi-stage Dockerfiles with per-stage remote caches; publish only if all succeeded",
		Commands: []*cli.Command{
			versionCommand(),
			planCommand(),
			bakeCommand(),
			buildCommand(),
			checkCommand(),
			outdatedCommand(),
			recoverCommand(),
			pruneCommand(),
		},
		Writer:    stdout,
		ErrWriter: stderr,
		// Errors are printed once, by run; urfave must not print or exit.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &options.UsageError{Err: err}
		},
		// urfave runs the app's Action for an unknown command: make it a usage error.
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return &options.UsageError{Err: unknownCommand(c.App, c.Args().First())}
			}
			return cli.ShowAppHelp(c)
		},
		// --secret id=a,src=b and --build-arg K=a,b are one value each;
		// pkg/config splits the lists that are lists (--platform).
		DisableSliceFlagSeparator: true,
		Version:                   cairn.Version(),
		Suggest:                   true,
	}
	for _, cmd := range app.Commands {
		cmd.OnUsageError = app.OnUsageError
	}
	options.UseHelp(app)
	return app
}

// unknownCommand names the nearest command, as git and docker do.
func unknownCommand(app *cli.App, name string) error {
	var names []string
	for _, cmd := range app.Commands {
		names = append(names, cmd.Name)
	}
	if best, ok := suggest.Search(name, names, true); ok { // BuildKit's "did you mean"
		return fmt.Errorf("unknown command %q (did you mean %q?)", name, best)
	}
	return fmt.Errorf("unknown command %q (see cairn --help)", name)
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print cairn's version and the BuildKit client it was built with",
		Action: func(c *cli.Context) error {
			fmt.Fprintf(c.App.Writer, "cairn %s\n", c.App.Version)
			return nil
		},
	}
}
