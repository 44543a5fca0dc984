package build

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// layeredConfig resolves every image to a one-layer linux/amd64 config,
// so the conversion never touches the network (an image without layers
// would be scratch, with no FROM op).
type layeredConfig struct{}

func (layeredConfig) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	return ref, "", []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:0000000000000000000000000000000000000000000000000000000000000000"]}}`), nil
}

// TestExecCacheMounts: the frontend.convertllb answer, as BuildKit's own
// conversion makes it, gives each RUN's op the cache IDs the planner
// computes for its mounts (namespaced), and its -ignorecache digest too;
// an op without a cache mount is not listed.
func TestExecCacheMounts(t *testing.T) {
	const dockerfile = "FROM alpine AS app\n" +
		"RUN --mount=type=cache,target=/root/.cache/go-build --mount=type=cache,id=gomod,target=/go/pkg/mod --mount=type=secret,id=s go build\n" +
		"RUN --mount=type=bind,target=/src true\n"
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	res, err := dockerfile2llb.DockerfileConvertLLB(t.Context(), []byte(dockerfile), dockerfile2llb.ConvertOpt{
		Config:         dockerui.Config{BuildPlatforms: []ocispecs.Platform{amd64}, CacheIDNamespace: "ns"},
		TargetPlatform: &amd64,
		MetaResolver:   layeredConfig{},
	})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(res) // as the frontend writes result.json
	if err != nil {
		t.Fatal(err)
	}
	got, err := execCacheMounts(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ns" + goBuild, "ns" + goMod}
	var execs []digest.Digest
	for dgst, op := range res.Def {
		if op.GetExec() != nil {
			execs = append(execs, dgst)
		}
	}
	if len(execs) != 2 || len(got) != 2 {
		t.Fatalf("%d exec ops, %d listed (%v); want 2 and the one with cache mounts under two digests", len(execs), len(got), got)
	}
	for dgst, ids := range got {
		if ids = slices.Sorted(slices.Values(ids)); !slices.Equal(ids, want) { // the op orders its mounts by target
			t.Errorf("%s: cache IDs %q, want %q", dgst, ids, want)
		}
	}
	for _, dgst := range execs {
		if ids, ok := got[dgst]; ok && got[digest.FromBytes(fmt.Appendf(nil, "%s-ignorecache", dgst))] == nil {
			t.Errorf("%s (%q) is listed without its -ignorecache digest", dgst, ids)
		}
	}
	if _, err := execCacheMounts([]byte("{")); err == nil {
		t.Error("a broken answer reads without an error")
	}
}
