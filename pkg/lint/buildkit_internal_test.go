package lint

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"

	"github.com/moby/buildkit/client/llb/sourceresolver"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// recordingResolver is offlineResolver recording every ref it is asked.
type recordingResolver struct {
	mu   sync.Mutex
	refs []string
}

func (r *recordingResolver) ResolveImageConfig(ctx context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	r.mu.Lock()
	r.refs = append(r.refs, ref)
	r.mu.Unlock()
	return offlineResolver{}.ResolveImageConfig(ctx, ref, opt)
}

// TestBuildKitUsesResolver checks that every image BuildKit's checks look
// up goes through the resolver Lint passes, so none goes to a registry.
func TestBuildKitUsesResolver(t *testing.T) {
	dt := []byte("FROM alpine:3.20 AS a\nCOPY --from=busybox:1.36 /bin/sh /sh\nFROM a\nRUN --mount=from=debian:12,target=/d true\n")
	opts := Options{Filename: "Dockerfile"}
	df, err := parse(dt, &opts)
	if err != nil {
		t.Fatal(err)
	}
	r := &recordingResolver{}
	if _, err := buildkitFindings(t.Context(), dt, df, opts, r); err != nil {
		t.Fatal(err)
	}
	slices.Sort(r.refs)
	want := []string{"docker.io/library/alpine:3.20", "docker.io/library/busybox:1.36", "docker.io/library/debian:12"}
	if !slices.Equal(r.refs, want) {
		t.Errorf("resolved %q, want %q", r.refs, want)
	}
}

// TestOfflineResolver checks the config is valid JSON for the platform
// asked, with no layers.
func TestOfflineResolver(t *testing.T) {
	arm := ocispecs.Platform{OS: "linux", Architecture: "arm64"}
	for _, p := range []*ocispecs.Platform{nil, &arm} {
		ref, dgst, dt, err := offlineResolver{}.ResolveImageConfig(t.Context(), "x:1", sourceresolver.Opt{ImageOpt: &sourceresolver.ResolveImageOpt{Platform: p}})
		var img ocispecs.Image
		if err != nil || ref != "x:1" || dgst != "" || json.Unmarshal(dt, &img) != nil {
			t.Fatalf("got %q %q %s %v", ref, dgst, dt, err)
		}
		want := lintPlatform()
		if p != nil {
			want = *p
		}
		if img.OS != want.OS || img.Architecture != want.Architecture || len(img.RootFS.DiffIDs) != 0 {
			t.Errorf("config %s, want platform %v and no layers", dt, want)
		}
	}
}
