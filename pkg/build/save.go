package build

import (
	"context"
	"fmt"
	"os"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/opencontainers/go-digest"
	"golang.org/x/sync/errgroup"

	"github.com/cairn-build/cairn/pkg/push"
	"github.com/cairn-build/cairn/pkg/registry"
)

// SaveMounts snapshots the carried cache mounts a step of the build ran
// with, for the next runner, and stages each snapshot by digest in its
// snapshot ref's repository (see MountResult.SavedDigest): the commit
// moves the tags. Call it only when every stage and check succeeded, with
// the build's options: a failed build never replaces a good snapshot. The
// save runs on the daemon the mount's steps ran on (s for a result not
// made by Run); a mount whose steps ran on several daemons of a pool is
// not saved. A snapshot of more than maxSize bytes (0: no cap) is not
// staged.
//
// A snapshot is one zstd layer holding the directory's files, in an image
// whose times are fixed: the same files give the same digest, and blobs
// the registry has are not sent again. A mount that cannot be saved keeps
// its snapshot tag where it is, with a warning; the error is ctx's.
func SaveMounts(ctx context.Context, s Solver, res *Result, opts Options, maxSize int64) error {
	if opts.Registry == nil {
		reg, err := registry.New()
		if err != nil {
			return err
		}
		opts.Registry = reg
	}
	status := newFanIn(opts.Status)
	defer status.wait()
	var g errgroup.Group
	g.SetLimit(2) // each copies a directory and compresses it
	for i := range res.Mounts {
		m := &res.Mounts[i]
		switch {
		case m.Snapshot == "":
			continue
		case !m.Ran || m.Restore == NotNeeded:
			// NotNeeded with Ran cannot be: a mount a step ran with is
			// restored first (or emptied by --no-cache). Never save one
			// whose snapshot was not restored.
			m.Save = NotRun
			continue
		case len(m.ranOn) > 1:
			m.Note = "steps ran with it on several builders, each holding part of it: not saved"
			continue
		}
		solver := s
		if len(m.ranOn) == 1 {
			solver = m.ranOn[0] // the daemon whose directory holds it
		}
		ch := status.add()
		g.Go(func() error {
			defer close(ch)
			start := time.Now()
			err := saveMount(ctx, solver, m, opts, maxSize, ch)
			m.SaveTime = time.Since(start).Round(time.Millisecond)
			if err != nil && ctx.Err() == nil {
				m.Save, m.Note = SaveFailed, fmt.Sprintf("not saved: %s", lastLine(err))
				warn(ch, fmt.Sprintf("cache mount %s: %s; snapshot %s stays where it was", m.Target, m.Note, m.Snapshot))
			}
			return nil
		})
	}
	_ = g.Wait() // the goroutines record their failures in the mounts
	return ctx.Err()
}

// saveMount exports the mount's directory as an OCI layout, checks its
// size, and stages it.
func saveMount(ctx context.Context, s Solver, m *MountResult, opts Options, maxSize int64, status chan *client.SolveStatus) error {
	dir, err := os.MkdirTemp("", "cairn-mount-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	run := cacheExec(m.ID, fmt.Sprintf("cp -a %s/. %s/", mountDir, saveDir),
		llb.WithCustomNamef("[cache mount %s] save to %s", m.Target, m.Snapshot))
	def, err := run.AddMount(saveDir, llb.Scratch()).Marshal(ctx)
	if err != nil {
		return err
	}
	inner := make(chan *client.SolveStatus)
	forwarded := make(chan struct{})
	go func() {
		defer close(forwarded)
		for st := range inner {
			status <- st
		}
	}()
	resp, err := s.Solve(ctx, def, client.SolveOpt{
		Session: opts.Session,
		Exports: []client.ExportEntry{{Type: client.ExporterOCI, OutputDir: dir, Attrs: map[string]string{
			"tar": "false", "compression": "zstd", "oci-mediatypes": "true",
			"source-date-epoch": "0", // the config's times: equal files, equal digests
		}}},
	}, inner) // Solve closes inner; status goes on to show the upload
	<-forwarded
	if err != nil {
		return err
	}
	dgst := resp.ExporterResponse["containerimage.digest"]
	if m.Size, err = layerSize(dir, dgst); err != nil {
		return err
	}
	if maxSize > 0 && m.Size > maxSize {
		m.Save, m.Note = TooBig, fmt.Sprintf("not saved: %d bytes, over cache.mounts.maxSize (%d)", m.Size, maxSize)
		return nil
	}
	step := startVertex(status, fmt.Sprintf("[cache mount %s] stage snapshot %s (%d bytes)", m.Target, shortID(dgst), m.Size))
	err = push.StageLayout(ctx, opts.Registry, dir, dgst, m.Snapshot)
	step.done(err)
	if err != nil {
		return err
	}
	m.Save, m.SavedDigest = Saved, dgst
	return nil
}

// layerSize is the bytes of the layers of the image dgst in the OCI layout.
func layerSize(dir, dgst string) (int64, error) {
	h, err := v1.NewHash(dgst)
	if err != nil {
		return 0, fmt.Errorf("snapshot digest %q: %w", dgst, err)
	}
	img, err := layout.Path(dir).Image(h)
	if err != nil {
		return 0, fmt.Errorf("read snapshot %s: %w", dgst, err)
	}
	manifest, err := img.Manifest()
	if err != nil {
		return 0, fmt.Errorf("read snapshot %s: %w", dgst, err)
	}
	var size int64
	for _, l := range manifest.Layers {
		size += l.Size
	}
	return size, nil
}

// vertex shows work that is not a solve (an upload) in the progress
// display, as a vertex of its own.
type vertex struct {
	status chan<- *client.SolveStatus
	v      client.Vertex
}

func startVertex(status chan<- *client.SolveStatus, name string) *vertex {
	now := time.Now()
	v := &vertex{status: status, v: client.Vertex{Digest: digest.FromString(fmt.Sprintf("cairn %s %d", name, now.UnixNano())), Name: name, Started: &now}}
	status <- &client.SolveStatus{Vertexes: []*client.Vertex{&v.v}}
	return v
}

func (v *vertex) done(err error) {
	now := time.Now()
	done := v.v
	done.Completed = &now
	if err != nil {
		done.Error = firstLine(err)
	}
	v.status <- &client.SolveStatus{Vertexes: []*client.Vertex{&done}}
}
