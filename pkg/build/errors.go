package build

import (
	"errors"
	"fmt"
	"strings"
)

// ErrDependencyFailed means a stage was not built because a stage it
// depends on failed; that stage's own *StageError has the cause.
var ErrDependencyFailed = errors.New("not built")

// errNotStarted means a stage was not built because the build was canceled
// before it could start.
var errNotStarted = errors.New("not built")

// errNoDigest means the image exporter reported no digest.
var errNoDigest = errors.New("no image digest in the exporter response")

// StageError is a stage that failed or was not built. Run's error holds one
// for each such stage; errors.Is and errors.As reach them and their causes
// (the solve's error, ErrDependencyFailed, context.Canceled).
type StageError struct {
	Stage string
	// Source is the Dockerfile excerpt BuildKit attached to the failed step,
	// "" when there is none.
	Source string
	Err    error
}

func (e *StageError) Error() string {
	return fmt.Sprintf("stage %s: %v%s%s", e.Stage, e.Err, hint(e.Err), indent(e.Source))
}

// hint explains a registry answer that BuildKit passes on without its
// cause: distribution says "invalid content range" when an upload resumes
// after a chunk it failed to store (the first answer, a 500 naming the
// cause, is lost in BuildKit's retry).
func hint(err error) string {
	msg := err.Error()
	if strings.Contains(msg, "failed to push") && strings.Contains(msg, "invalid content range") {
		return " (the registry failed to store part of an upload, most often because its storage is full; its log names the cause)"
	}
	return ""
}

func (e *StageError) Unwrap() error { return e.Err }

// notBuilt reports whether err is a stage that never started: a dependency
// failed or the build was canceled first.
func notBuilt(err error) bool {
	return errors.Is(err, ErrDependencyFailed) || errors.Is(err, errNotStarted)
}

// indent sets a Dockerfile excerpt under its error message.
func indent(snippet string) string {
	if snippet == "" {
		return ""
	}
	return "\n    " + strings.ReplaceAll(strings.TrimRight(snippet, "\n"), "\n", "\n    ")
}

// listErrors formats Run's errors: the stages that failed, then those not
// built because of them.
func listErrors(errs []error) string {
	failed, skipped := 0, 0
	lines := make([]string, len(errs))
	for i, err := range errs {
		if notBuilt(err) {
			skipped++
		} else {
			failed++
		}
		lines[i] = "  " + err.Error()
	}
	head := fmt.Sprintf("%d of the stages failed", failed)
	if skipped > 0 {
		head += fmt.Sprintf(", %d not built", skipped)
	}
	return head + ":\n" + strings.Join(lines, "\n")
}
