package build

import (
	"fmt"
	"sync"

	"github.com/moby/buildkit/client"
)

// Warning is one of BuildKit's Dockerfile warnings (a build check such as
// FromAsCasing, or a deprecated instruction), as buildx repeats them at the
// end of a build.
type Warning struct {
	Message string   `json:"message"`
	Detail  []string `json:"detail,omitempty"`
	URL     string   `json:"url,omitempty"`
	File    string   `json:"file,omitempty"`
	Line    int      `json:"line,omitempty"`
}

func (w Warning) String() string {
	if w.Line > 0 {
		return fmt.Sprintf("%s (%s:%d)", w.Message, w.File, w.Line)
	}
	return w.Message
}

// WarningTap passes a run's progress on to the caller's channel and keeps
// the warnings in it. Every stage's solve runs the frontend, so the same
// warning arrives once per stage: each is kept once.
type WarningTap struct {
	// In takes the run's progress: give it to the solves as their Status.
	In   chan *client.SolveStatus
	done chan struct{}
	mu   sync.Mutex
	seen map[string]bool
	list []Warning
}

// TapWarnings starts a tap passing progress on to out (nil: nowhere).
func TapWarnings(out chan<- *client.SolveStatus) *WarningTap {
	t := &WarningTap{In: make(chan *client.SolveStatus), done: make(chan struct{}), seen: map[string]bool{}}
	go func() {
		defer close(t.done)
		for st := range t.In {
			t.record(st.Warnings)
			if out != nil {
				out <- st
			}
		}
	}()
	return t
}

func (t *WarningTap) record(ws []*client.VertexWarning) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, vw := range ws {
		w := Warning{Message: string(vw.Short), URL: vw.URL}
		if vw.SourceInfo != nil {
			w.File = vw.SourceInfo.Filename
		}
		if len(vw.Range) > 0 && vw.Range[0] != nil {
			w.Line = int(vw.Range[0].Start.Line)
		}
		key := fmt.Sprintf("%s\x00%s\x00%d", w.Message, w.File, w.Line) // message and place identify a warning
		if t.seen[key] {
			continue
		}
		t.seen[key] = true
		for _, d := range vw.Detail {
			w.Detail = append(w.Detail, string(d))
		}
		t.list = append(t.list, w)
	}
}

// Close stops the tap once everything sent has been passed on, and
// returns the warnings.
func (t *WarningTap) Close() []Warning {
	close(t.In)
	<-t.done
	return t.list
}
