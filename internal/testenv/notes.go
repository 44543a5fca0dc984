package testenv

import (
	"context"
	"log/slog"
	"sync"
)

// Notes is a logger that keeps the messages of the notes cairn's packages
// log, for a test to read with Messages.
type Notes struct {
	mu   sync.Mutex
	list []string
}

// Logger logs to n.
func (n *Notes) Logger() *slog.Logger { return slog.New(notesHandler{n}) }

// Messages are the notes logged so far, in order.
func (n *Notes) Messages() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.list...)
}

type notesHandler struct{ n *Notes }

func (h notesHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h notesHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h notesHandler) WithGroup(string) slog.Handler            { return h }
func (h notesHandler) Handle(_ context.Context, r slog.Record) error {
	h.n.mu.Lock()
	defer h.n.mu.Unlock()
	h.n.list = append(h.n.list, r.Message)
	return nil
}
