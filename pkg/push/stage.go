package push

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cairn-build/cairn/pkg/cache"
	"github.com/cairn-build/cairn/pkg/registry"
)

// LayoutImage is the image digest of the OCI layout in dir.
func LayoutImage(dir, digest string) (v1.Image, error) {
	h, err := v1.NewHash(digest)
	if err != nil {
		return nil, err
	}
	img, err := layout.Path(dir).Image(h)
	if err != nil {
		return nil, fmt.Errorf("read %s from %s: %w", digest, dir, err)
	}
	return img, nil
}

// StageLayout uploads the image digest from the OCI layout in dir by digest
// to the repository of ref (a tag in ref is ignored): blobs the registry has
// are not sent again, and no tag is created. It stages what BuildKit
// exported locally, such as a mode=max cache.
func StageLayout(ctx context.Context, reg *registry.Access, dir, digest, ref string) error {
	img, err := LayoutImage(dir, digest)
	if err != nil {
		return err
	}
	parsed, err := reg.Reference(ref)
	if err != nil {
		return err
	}
	target := parsed.Context().Digest(digest)
	if err := remote.Write(target, img, reg.Remote(ctx)...); err != nil {
		return fmt.Errorf("stage %s: %w", target, err)
	}
	return nil
}

// StageCache stages the mode=max cache image of the OCI layout in dir, as
// StageLayout does, unless the cache under ref is the same one exported
// again (cache.SameCache): then nothing is uploaded and the digest returned
// is the one ref has, so the commit leaves the tag unchanged.
func StageCache(ctx context.Context, reg *registry.Access, dir, digest, ref string) (string, error) {
	local, err := LayoutImage(dir, digest)
	if err != nil {
		return "", err
	}
	if parsed, err := reg.Reference(ref); err == nil {
		// A cache that is not there (or not readable) is simply replaced.
		if current, err := remote.Image(parsed, reg.Remote(ctx)...); err == nil {
			if same, err := cache.SameCache(local, current); err == nil && same {
				d, err := current.Digest()
				return d.String(), err
			}
		}
	}
	return digest, StageLayout(ctx, reg, dir, digest, ref)
}
