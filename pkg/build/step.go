package build

import (
	"fmt"
	"strings"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/opencontainers/go-digest"

	"github.com/cairn-build/cairn/internal/human"
	"github.com/cairn-build/cairn/pkg/push"
)

// Step shows work that is not a BuildKit solve (the commit, a docker
// load) as a vertex in BuildKit's display, so one progress stream tells
// the whole build.
type Step struct {
	status  chan<- *client.SolveStatus
	vertex  client.Vertex
	started time.Time
}

// StartStep shows the vertex name started on status (nil shows nothing).
func StartStep(status chan<- *client.SolveStatus, name string) *Step {
	s := &Step{status: status, started: time.Now()}
	s.vertex = client.Vertex{Digest: digest.FromString(fmt.Sprintf("cairn %s %d", name, s.started.UnixNano())), Name: name, Started: &s.started}
	s.send(&client.SolveStatus{Vertexes: []*client.Vertex{&s.vertex}})
	return s
}

func (s *Step) send(st *client.SolveStatus) {
	if s.status != nil {
		s.status <- st
	}
}

// Moved logs each tag's move and completes the vertex.
func (s *Step) Moved(tags []push.TagResult, err error) {
	lines := make([]string, len(tags))
	for i, t := range tags {
		previous := "(new)"
		if t.Previous != "" {
			previous = human.Digest(t.Previous)
		}
		lines[i] = fmt.Sprintf("%s %s: %s -> %s\n", t.Kind, t.Tag, previous, t.State)
	}
	s.End(lines, err)
}

// End logs lines and completes the vertex, failed with err's headline.
func (s *Step) End(lines []string, err error) {
	now := time.Now()
	st := &client.SolveStatus{}
	for _, line := range lines {
		st.Logs = append(st.Logs, &client.VertexLog{Vertex: s.vertex.Digest, Stream: 1, Data: []byte(line), Timestamp: now})
	}
	v := s.vertex
	v.Completed = &now
	if err != nil {
		// The headline: for a publish, it says what the registry holds now.
		v.Error, _, _ = strings.Cut(err.Error(), "\n")
	}
	st.Vertexes = []*client.Vertex{&v}
	s.send(st)
}
