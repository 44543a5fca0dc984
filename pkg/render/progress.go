package render

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/util/progress/progressui"
)

// ProgressModes are the progress displays NewDisplay knows.
var ProgressModes = []string{"auto", "tty", "plain", "rawjson", "quiet"}

// Display is BuildKit's own progress display, fed by one channel that the
// solves of a run and cairn's own steps (the commit) share.
type Display struct {
	status chan *client.SolveStatus
	done   chan struct{}
}

// NewDisplay starts a display writing to w in mode (one of ProgressModes).
// Give Status() to cairn.RunOptions.Status, and Close the display after Run.
func NewDisplay(ctx context.Context, w io.Writer, mode string) (*Display, error) {
	valid := false
	for _, m := range ProgressModes {
		valid = valid || m == mode
	}
	if !valid {
		return nil, fmt.Errorf("unknown progress mode %q: want one of %v", mode, ProgressModes)
	}
	display, err := progressui.NewDisplay(w, progressui.DisplayMode(mode))
	if err != nil {
		return nil, err
	}
	d := &Display{status: make(chan *client.SolveStatus), done: make(chan struct{})}
	go func() {
		defer close(d.done)
		// The display shows the build to its end, cancellation included; a
		// display error must not hide the build's, and whatever it leaves
		// unread is drained so the solves never block on it.
		_, _ = display.UpdateFrom(context.WithoutCancel(ctx), d.status)
		for range d.status {
		}
	}()
	return d, nil
}

// Status is the channel the display reads.
func (d *Display) Status() chan<- *client.SolveStatus { return d.status }

// Close ends the display once it has shown everything sent to it.
func (d *Display) Close() {
	close(d.status)
	<-d.done
}

// NoteLogger prints each record's message as a "note: …" line, as cairn's
// CLI shows notes (a missing cache ref, a cache rebuilt without).
func NoteLogger(w io.Writer) *slog.Logger { return slog.New(noteHandler{w, new(sync.Mutex)}) }

type noteHandler struct {
	w  io.Writer
	mu *sync.Mutex // a handler is used by concurrent builds (cairn bake)
}

func (h noteHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h noteHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h noteHandler) WithGroup(string) slog.Handler            { return h }
func (h noteHandler) Handle(_ context.Context, r slog.Record) error {
	prefix := "note"
	if r.Level >= slog.LevelWarn {
		prefix = "warning"
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := fmt.Fprintf(h.w, "%s: %s\n", prefix, r.Message)
	return err
}
