package build

import (
	"fmt"
	"maps"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/cairn-build/cairn/pkg/push"
)

// StageOptions add to the solve of one stage.
type StageOptions struct {
	// Pull solves the stage with BuildKit's image-resolve-mode=pull (docker
	// build --pull): every base is resolved in its registry, never taken
	// from a worker's local image store.
	Pull bool
	// ImageAnnotations are image exporter attributes in BuildKit's syntax:
	// "annotation.KEY" (every manifest), "annotation-index.KEY",
	// "annotation-manifest[linux/amd64].KEY".
	ImageAnnotations map[string]string
	// CacheAnnotations are set on the stage's mode=max cache manifest.
	CacheAnnotations map[string]string
}

// annotateLayout sets annotations on the manifest digest of the OCI layout
// in dir, adds the result to the layout, and returns its digest.
func annotateLayout(dir, digest string, annotations map[string]string) (string, error) {
	img, err := push.LayoutImage(dir, digest)
	if err != nil {
		return "", err
	}
	m, err := img.Manifest()
	if err != nil {
		return "", fmt.Errorf("read manifest %s: %w", digest, err)
	}
	merged := maps.Clone(m.Annotations)
	if merged == nil {
		merged = map[string]string{}
	}
	maps.Copy(merged, annotations)
	annotated, ok := mutate.Annotations(img, merged).(v1.Image)
	if !ok {
		return "", fmt.Errorf("annotate %s: not an image", digest) // unreachable: mutate keeps the kind
	}
	if err := layout.Path(dir).AppendImage(annotated); err != nil {
		return "", fmt.Errorf("annotate %s: %w", digest, err)
	}
	d, err := annotated.Digest()
	return d.String(), err
}
