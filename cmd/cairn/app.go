package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/agext/levenshtein"
	"github.com/urfave/cli/v2"
)

// Exit codes, mapped in one place.
const (
	exitOK       = 0
	exitFailure  = 1
	exitUsage    = 2
	exitCanceled = 130
)

// run is main without os.Exit, so tests drive the CLI in process.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	app := newApp(stdout, stderr)
	err := app.RunContext(ctx, interspersed(app, args))
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		fmt.Fprintln(stderr, "cairn: canceled")
		return exitCanceled
	case errors.As(err, new(usageError)):
		fmt.Fprintln(stderr, "cairn:", err)
		return exitUsage
	default:
		fmt.Fprintln(stderr, "cairn:", err)
		return exitFailure
	}
}

// usageError is a mistake in how cairn was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func newApp(stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:  "cairn",
		Usage: "build multi-stage Dockerfiles with a per-stage remote cache; publish only when all succeeded",
		Commands: []*cli.Command{
			versionCommand(),
			planCommand(),
			buildCommand(),
			checkCommand(),
			recoverCommand(),
		},
		Writer:    stdout,
		ErrWriter: stderr,
		// Errors are printed once, by run; urfave must not print or exit.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{err}
		},
		// urfave runs the app's Action for an unknown command: make it a usage error.
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usageError{unknownCommand(c.App, c.Args().First())}
			}
			return cli.ShowAppHelp(c)
		},
		Version: fmt.Sprintf("%s (buildkit client %s)", moduleVersion(""), moduleVersion("github.com/moby/buildkit")),
		Suggest: true,
	}
	for _, cmd := range app.Commands {
		cmd.OnUsageError = app.OnUsageError
	}
	return app
}

// unknownCommand names the nearest command, as git and docker do.
func unknownCommand(app *cli.App, name string) error {
	best, distance := "", 3 // farther than 2 edits is no typo
	for _, cmd := range app.Commands {
		if d := levenshtein.Distance(name, cmd.Name, nil); d < distance {
			best, distance = cmd.Name, d
		}
	}
	if best != "" {
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

// moduleVersion reads a version from the build info: the main module's for "".
func moduleVersion(path string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if path == "" {
		return info.Main.Version
	}
	for _, dep := range info.Deps {
		if dep.Path == path {
			return dep.Version
		}
	}
	return "unknown"
}
