package build

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/session"
)

// Output is what a command did: its output streams and exit code.
type Output struct {
	Stdout, Stderr string
	ExitCode       int
}

// Runner is the image whose static busybox captures a command's output and
// exit code: the checked image may have no shell at all.
const Runner = "docker.io/library/busybox:1.36"

const (
	runnerDir = "/.cairn-runner"
	outDir    = "/.cairn-out"
	storeID   = "cairn-checked"
)

// Exec runs argv, after the setup command lines (each run by the runner's
// sh, so images without a shell can have setup too), in the image of the OCI
// layout in dir, inside BuildKit: no Docker engine needed. The image's env,
// working directory and user apply.
func Exec(ctx context.Context, c *client.Client, dir string, setup []string, argv []string, attach []session.Attachable) (*Output, error) {
	if len(argv) == 0 {
		return nil, fmt.Errorf("exec: no command")
	}
	root, err := layoutImage(ctx, dir)
	if err != nil {
		return nil, err
	}
	runner := llb.Image(Runner)
	sh := []string{runnerDir + "/bin/busybox", "sh", "-c"}
	for _, line := range setup {
		root = root.Run(llb.Args(append(sh, line)), llb.AddMount(runnerDir, runner, llb.Readonly),
			llb.WithCustomNamef("[check] setup: %s", line)).Root()
	}
	// "$@" keeps argv as given: no second round of shell parsing.
	capture := `"$@" >` + outDir + `/stdout 2>` + outDir + `/stderr; echo $? >` + outDir + `/exit`
	run := root.Run(llb.Args(append(append(sh, capture, "sh"), argv...)),
		llb.AddMount(runnerDir, runner, llb.Readonly),
		llb.WithCustomNamef("[check] %s", strings.Join(argv, " ")))
	def, err := run.AddMount(outDir, llb.Scratch()).Marshal(ctx)
	if err != nil {
		return nil, err
	}
	store, err := local.NewStore(dir)
	if err != nil {
		return nil, err
	}
	out, err := os.MkdirTemp("", "cairn-exec-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(out)
	_, err = c.Solve(ctx, def, client.SolveOpt{
		Exports:   []client.ExportEntry{{Type: client.ExporterLocal, OutputDir: out}},
		OCIStores: map[string]content.Store{storeID: store},
		Session:   attach,
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("run %q in the image: %w", strings.Join(argv, " "), err)
	}
	return readOutput(out)
}

// layoutImage is the image of the OCI layout in dir as an LLB state, with
// its config applied.
func layoutImage(ctx context.Context, dir string) (llb.State, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return llb.State{}, fmt.Errorf("read image layout %s: %w", dir, err)
	}
	manifest, err := idx.IndexManifest()
	if err != nil {
		return llb.State{}, err
	}
	if len(manifest.Manifests) != 1 {
		return llb.State{}, fmt.Errorf("image layout %s: want one image, found %d", dir, len(manifest.Manifests))
	}
	digest := manifest.Manifests[0].Digest
	img, err := idx.Image(digest)
	if err != nil {
		return llb.State{}, err
	}
	config, err := img.RawConfigFile()
	if err != nil {
		return llb.State{}, err
	}
	st := llb.OCILayout("docker.io/cairn/checked@"+digest.String(), llb.OCIStore("", storeID),
		llb.WithCustomName("[check] load the built image"))
	return st.WithImageConfig(config)
}

func readOutput(dir string) (*Output, error) {
	read := func(name string) (string, error) {
		data, err := os.ReadFile(filepath.Join(dir, name))
		return string(data), err
	}
	var o Output
	var err error
	if o.Stdout, err = read("stdout"); err != nil {
		return nil, err
	}
	if o.Stderr, err = read("stderr"); err != nil {
		return nil, err
	}
	code, err := read("exit")
	if err != nil {
		return nil, err
	}
	if o.ExitCode, err = strconv.Atoi(strings.TrimSpace(code)); err != nil {
		return nil, fmt.Errorf("exit code %q: %w", code, err)
	}
	return &o, nil
}
