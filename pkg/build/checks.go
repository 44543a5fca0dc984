package build

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"

	"github.com/cairn-build/cairn/pkg/check"
)

// Check runs spec on the image of the OCI layout in dir: file, metadata and
// efficiency checks on its layers and config, and command checks inside
// BuildKit. A check that cannot run is a failed result, not an error; the
// error is for an image that cannot be read.
func Check(ctx context.Context, c *client.Client, dir string, spec check.Spec, attach []session.Attachable) ([]check.Result, *check.Efficiency, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("read image layout %s: %w", dir, err)
	}
	manifest, err := idx.IndexManifest()
	if err != nil {
		return nil, nil, err
	}
	if len(manifest.Manifests) != 1 {
		return nil, nil, fmt.Errorf("image layout %s: want one image, found %d", dir, len(manifest.Manifests))
	}
	img, err := idx.Image(manifest.Manifests[0].Digest)
	if err != nil {
		return nil, nil, err
	}
	results, eff, err := check.Image(img, spec)
	if err != nil {
		return nil, nil, err
	}
	for _, cc := range spec.Commands {
		out, err := Exec(ctx, c, dir, cc.Setup, append([]string{cc.Command}, cc.Args...), attach)
		if err != nil {
			name := cc.Name
			if name == "" {
				name = strings.Join(append([]string{cc.Command}, cc.Args...), " ")
			}
			results = append(results, check.Result{Kind: check.KindCommand, Name: name, Message: err.Error()})
			continue
		}
		results = append(results, check.EvaluateCommand(cc, out.Stdout, out.Stderr, out.ExitCode))
	}
	return results, eff, nil
}
