package push

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// StageLayout uploads the image digest from the OCI layout in dir to repo by
// digest: blobs the registry has are not sent again, and no tag is created.
// It stages what BuildKit exported locally, such as a mode=max cache.
func StageLayout(ctx context.Context, dir, digest, repo string, opts ...Option) error {
	o, err := makeOptions(opts...)
	if err != nil {
		return err
	}
	h, err := v1.NewHash(digest)
	if err != nil {
		return err
	}
	img, err := layout.Path(dir).Image(h)
	if err != nil {
		return fmt.Errorf("read %s from %s: %w", digest, dir, err)
	}
	ref, err := name.NewDigest(repo+"@"+digest, o.nameOptions(repo)...)
	if err != nil {
		return err
	}
	if err := remote.Write(ref, img, o.remote(ctx)...); err != nil {
		return fmt.Errorf("stage %s: %w", ref, err)
	}
	return nil
}
