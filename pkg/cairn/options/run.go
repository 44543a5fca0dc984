package options

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/render"
)

// OnDaemons runs fn on the flags' daemons for p (dialed when the run needs
// them: a skipped publish never does), showing its progress, and returns
// fn's error with the CLI's hints.
func OnDaemons(c *cli.Context, p *cairn.Project, opts cairn.RunOptions, fn func(*cairn.Pool, cairn.RunOptions) error) error {
	display, err := render.NewDisplay(c.Context, c.App.ErrWriter, c.String("progress"))
	if err != nil {
		return &UsageError{Err: fmt.Errorf("--progress: %w", err)}
	}
	pool := Pool(c, p)
	defer pool.Close()
	opts.Status, opts.Logger = display.Status(), render.NoteLogger(c.App.ErrWriter)
	err = Hint(fn(pool, opts))
	display.Close()
	return err
}

// Run are the run's options the flags give: --push, --force, --no-skip
// and --rewrite-timestamp (unset on a command without them).
func Run(c *cli.Context) cairn.RunOptions {
	return cairn.RunOptions{Push: c.Bool("push"), Force: c.Bool("force"), NoSkip: c.Bool("no-skip"), RewriteTimestamp: c.Bool("rewrite-timestamp")}
}

// Outputs is where a run's summary and metadata file go.
func Outputs(c *cli.Context) render.Output {
	return render.Output{Stdout: c.App.Writer, Stderr: c.App.ErrWriter, MetadataFile: c.String("metadata-file")}
}
