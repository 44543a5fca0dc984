package push

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// PrepareError is a commit that stopped before any tag moved: a staged
// manifest was missing, a tag did not parse, the registry could not be
// read, or another publisher moved final tags (a *ConflictError). Nothing
// was published.
type PrepareError struct {
	Err error // every tag's failure, joined
}

func (e *PrepareError) Error() string { return "nothing published: " + e.Err.Error() }

func (e *PrepareError) Unwrap() error { return e.Err }

// ConflictError is a commit that found final tags another publisher moved
// since it started, and left them there (without WithForce).
type ConflictError struct {
	// Tags are the final tags in state Conflict: Previous is where each was
	// when the commit started, Error says where it is now.
	Tags []TagResult
}

func (e *ConflictError) Error() string {
	var b strings.Builder
	b.WriteString("another publisher moved final tags since this commit started (force overwrites them):")
	for _, t := range e.Tags {
		fmt.Fprintf(&b, "\n  %s: %s", t.Tag, t.Error)
	}
	return b.String()
}

// CommitError is a commit that failed after it began moving tags. Its
// message says what the registry holds now: either every moved tag was put
// back, or which tags were left moved, and where.
type CommitError struct {
	// Tags is what the commit did to every tag, in commit order.
	Tags []TagResult
	// RolledBack is true when no tag is left moved: every tag is where it
	// was before the commit.
	RolledBack bool
	// Err is why the commit stopped: the failed puts, or the context's error.
	Err error
}

func (e *CommitError) Error() string {
	var b strings.Builder
	left, moved := e.leftMoved(), 0
	for _, t := range e.Tags {
		if t.State == RolledBack || t.State == LeftMoved {
			moved++
		}
	}
	switch {
	case len(left) > 0:
		fmt.Fprintf(&b, "publish failed; %d of the moved tags could not be put back and stay moved: %s",
			len(left), strings.Join(left, ", "))
	case moved == 0:
		b.WriteString("publish failed; no tag was moved")
	default:
		b.WriteString("publish failed; every moved tag was put back")
	}
	if e.Err != nil && !slices.ContainsFunc(e.Tags, func(t TagResult) bool { return t.State == Failed }) {
		// No put failed: say what stopped it (canceled, or the commit
		// record taken over by another publisher).
		fmt.Fprintf(&b, " (%s)", oneLine(e.Err))
	}
	for _, t := range e.Tags {
		fmt.Fprintf(&b, "\n  %s: %s", t.Tag, t.State)
		if t.Error != "" {
			fmt.Fprintf(&b, " (%s)", t.Error)
		}
	}
	return b.String()
}

func (e *CommitError) Unwrap() error { return e.Err }

// leftMoved names each tag left moved, with the digest it points at.
func (e *CommitError) leftMoved() []string {
	var left []string
	for _, t := range e.Tags {
		if t.State == LeftMoved {
			left = append(left, t.Tag+" at "+t.Digest)
		}
	}
	return left
}

// oneLine is err's message for a tag's result: ggcr ends a registry's
// error body with a newline.
func oneLine(err error) string { return strings.TrimSpace(err.Error()) }

func isNotFound(err error) bool {
	var terr *transport.Error
	return errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound
}

func isUnsupported(err error) bool {
	var terr *transport.Error
	return errors.As(err, &terr) && (terr.StatusCode == http.StatusMethodNotAllowed || terr.StatusCode == http.StatusNotImplemented)
}
