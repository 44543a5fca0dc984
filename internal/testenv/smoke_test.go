package testenv_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/moby/buildkit/client"
	"github.com/tonistiigi/fsutil"

	"github.com/cairn-build/cairn/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestSmokeBuildAndPush builds examples/hello through the BuildKit client
// against the real daemon, pushes it to the real registry, and reads the
// manifest back from the registry.
func TestSmokeBuildAndPush(t *testing.T) {
	env := testenv.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()

	c, err := client.New(ctx, env.BuildkitHost)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	src, err := fsutil.NewFS(filepath.Join("..", "..", "examples", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	ref := env.Registry + "/smoke/hello:" + t.Name()
	status := make(chan *client.SolveStatus)
	go func() {
		for range status {
		}
	}()
	resp, err := c.Solve(ctx, nil, client.SolveOpt{
		Frontend:    "dockerfile.v0",
		LocalMounts: map[string]fsutil.FS{"context": src, "dockerfile": src},
		Exports: []client.ExportEntry{{
			Type:  client.ExporterImage,
			Attrs: map[string]string{"name": ref, "push": "true", "registry.insecure": "true"},
		}},
	}, status)
	if err != nil {
		t.Fatalf("solve: %v", err)
	}
	pushed := resp.ExporterResponse["containerimage.digest"]
	if pushed == "" {
		t.Fatalf("no image digest in exporter response %v", resp.ExporterResponse)
	}

	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r, remote.WithContext(ctx))
	if err != nil {
		t.Fatalf("read %s from the registry: %v", ref, err)
	}
	digest, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if digest.String() != pushed {
		t.Errorf("registry has %s, BuildKit pushed %s", digest, pushed)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	// busybox's one layer plus the COPY --from=greeting layer.
	if len(layers) != 2 {
		t.Errorf("got %d layers, want 2", len(layers))
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Config.Cmd; len(got) != 2 || got[1] != "/greeting.txt" {
		t.Errorf("Cmd = %q, want [cat /greeting.txt]", got)
	}
}
