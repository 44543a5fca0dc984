package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/plugins/content/local"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/session"

	"github.com/cairn-build/cairn/pkg/check"
)

// RunnerImage is the image whose static busybox captures a command's output
// and exit code: the checked image may have no shell at all.
const RunnerImage = "docker.io/library/busybox:1.36"

const (
	runnerDir = "/.cairn-runner"
	outDir    = "/.cairn-out"
	storeID   = "cairn-checked"
)

// errNoCommand means Run was given an empty argv.
var errNoCommand = errors.New("exec: no command")

// LayoutImage reads the image of the OCI layout in dir, as Options.Layouts
// has a build write it: a layout holding exactly one image.
func LayoutImage(dir string) (v1.Image, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("read image layout %s: %w", dir, err)
	}
	manifest, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("read image layout %s: %w", dir, err)
	}
	if len(manifest.Manifests) != 1 {
		return nil, fmt.Errorf("image layout %s: want one image, found %d", dir, len(manifest.Manifests))
	}
	img, err := idx.Image(manifest.Manifests[0].Digest)
	if err != nil {
		return nil, fmt.Errorf("read image layout %s: %w", dir, err)
	}
	return img, nil
}

// LayoutRunner runs commands in the image of an OCI layout, inside
// BuildKit: no Docker engine needed. It is the check.Runner of cairn's
// command checks.
type LayoutRunner struct {
	solver  Solver
	img     v1.Image
	store   content.Store // the layout, lent to the solve
	root    llb.State     // the image, its config applied
	session []session.Attachable
}

var _ check.Runner = (*LayoutRunner)(nil)

// NewLayoutRunner reads the image of the OCI layout in dir (see
// LayoutImage) for commands solved by s with the session attachables
// attach (e.g. the registry auth provider, to pull RunnerImage).
func NewLayoutRunner(s Solver, dir string, attach []session.Attachable) (*LayoutRunner, error) {
	img, err := LayoutImage(dir)
	if err != nil {
		return nil, err
	}
	digest, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("image layout %s: %w", dir, err)
	}
	config, err := img.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("image layout %s: config: %w", dir, err)
	}
	store, err := local.NewStore(dir)
	if err != nil {
		return nil, fmt.Errorf("image layout %s: %w", dir, err)
	}
	root, err := llb.OCILayout("docker.io/cairn/checked@"+digest.String(), llb.OCIStore("", storeID),
		llb.WithCustomName("[check] load the built image")).WithImageConfig(config)
	if err != nil {
		return nil, fmt.Errorf("image layout %s: config: %w", dir, err)
	}
	return &LayoutRunner{solver: s, img: img, store: store, root: root, session: attach}, nil
}

// Image is the layout's image, for the checks that read it (check.Run).
func (r *LayoutRunner) Image() v1.Image { return r.img }

// Run runs argv after the setup command lines (each run by the runner's sh,
// so images without a shell can have setup too) in the image. The image's
// env, working directory and user apply.
func (r *LayoutRunner) Run(ctx context.Context, setup []string, argv []string) (check.Output, error) {
	if len(argv) == 0 {
		return check.Output{}, errNoCommand
	}
	def, err := r.definition(ctx, setup, argv)
	if err != nil {
		return check.Output{}, err
	}
	out, err := os.MkdirTemp("", "cairn-exec-")
	if err != nil {
		return check.Output{}, err
	}
	defer os.RemoveAll(out)
	_, err = r.solver.Solve(ctx, def, client.SolveOpt{
		Exports:   []client.ExportEntry{{Type: client.ExporterLocal, OutputDir: out}},
		OCIStores: map[string]content.Store{storeID: r.store},
		Session:   r.session,
	}, nil)
	if err != nil {
		return check.Output{}, fmt.Errorf("run %q in the image: %w", strings.Join(argv, " "), err)
	}
	return readOutput(out)
}

// definition runs the setup lines, then argv with its output captured in
// outDir, which the solve exports.
func (r *LayoutRunner) definition(ctx context.Context, setup []string, argv []string) (*llb.Definition, error) {
	runner := llb.Image(RunnerImage)
	sh := []string{runnerDir + "/bin/busybox", "sh", "-c"}
	root := r.root
	for _, line := range setup {
		root = root.Run(llb.Args(append(sh, line)), llb.AddMount(runnerDir, runner, llb.Readonly),
			llb.WithCustomNamef("[check] setup: %s", line)).Root()
	}
	// "$@" keeps argv as given: no second round of shell parsing.
	capture := `"$@" >` + outDir + `/stdout 2>` + outDir + `/stderr; echo $? >` + outDir + `/exit`
	run := root.Run(llb.Args(append(append(sh, capture, "sh"), argv...)),
		llb.AddMount(runnerDir, runner, llb.Readonly),
		llb.WithCustomNamef("[check] %s", strings.Join(argv, " ")))
	return run.AddMount(outDir, llb.Scratch()).Marshal(ctx)
}

func readOutput(dir string) (check.Output, error) {
	read := func(name string) (string, error) {
		data, err := os.ReadFile(filepath.Join(dir, name))
		return string(data), err
	}
	var o check.Output
	var err error
	if o.Stdout, err = read("stdout"); err != nil {
		return check.Output{}, err
	}
	if o.Stderr, err = read("stderr"); err != nil {
		return check.Output{}, err
	}
	code, err := read("exit")
	if err != nil {
		return check.Output{}, err
	}
	if o.ExitCode, err = strconv.Atoi(strings.TrimSpace(code)); err != nil {
		return check.Output{}, fmt.Errorf("exit code %q: %w", code, err)
	}
	return o, nil
}
