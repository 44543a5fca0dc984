package check

import (
	"context"
	"errors"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Output is what a command did in a container of the image.
type Output struct {
	Stdout, Stderr string
	ExitCode       int
}

// Runner runs a command in a container of the checked image; this package
// judges what it did. The caller owns the container engine (cairn runs the
// command inside BuildKit), so pkg/check stays free of it.
type Runner interface {
	// Run runs each setup command line with a shell, in order, then argv,
	// in one container of the image. A command that ran and failed is an
	// Output with its exit code; the error is for a command that could not
	// run.
	Run(ctx context.Context, setup []string, argv []string) (Output, error)
}

// errNoRunner means spec has commands and the caller gave no Runner.
var errNoRunner = errors.New("command checks need a runner")

// Run runs every check of spec on img: the image checks (see Image), then
// each command through runner, in spec order. A command that cannot run is
// a failed Result; the error is for an invalid spec, an image that cannot
// be read, or a canceled ctx. runner may be nil when spec has no commands.
func Run(ctx context.Context, img v1.Image, spec Spec, runner Runner) ([]Result, *Efficiency, error) {
	if len(spec.Commands) > 0 && runner == nil {
		return nil, nil, errNoRunner
	}
	results, eff, err := Image(img, spec)
	if err != nil {
		return nil, nil, err
	}
	for _, c := range spec.Commands {
		out, err := runner.Run(ctx, c.Setup, append([]string{c.Command}, c.Args...))
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, nil, ctxErr
		}
		if err != nil {
			results = append(results, Result{Kind: KindCommand, Name: c.name(), Message: err.Error()})
			continue
		}
		results = append(results, EvaluateCommand(c, out.Stdout, out.Stderr, out.ExitCode))
	}
	return results, eff, nil
}
