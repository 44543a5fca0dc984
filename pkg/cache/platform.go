package cache

import (
	"context"
	"strings"

	"github.com/containerd/platforms"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/cairn-build/cairn/pkg/registry"
)

// ForPlatform reads what each ref holds, at most reg.Jobs() at a time, and
// picks what a build of one platform (as "linux/arm64") imports: for a
// ref holding an image index, the index's manifest for the platform, as
// repository@digest, or "" when it has none. Refs that hold a single
// manifest are imported as they are and left out of the map.
func ForPlatform(ctx context.Context, reg *registry.Access, refs []string, platform string) (map[string]string, error) {
	picked := map[string]string{}
	err := eachRef(reg, refs, func(ref string) (func(), error) {
		p, isIndex, err := forPlatform(ctx, reg, ref, platform)
		return func() {
			if isIndex {
				picked[ref] = p
			}
		}, err
	})
	return picked, err
}

func forPlatform(ctx context.Context, reg *registry.Access, ref, platform string) (string, bool, error) {
	parsed, err := reg.Reference(ref)
	if err != nil {
		return "", false, err
	}
	desc, err := reg.Get(ctx, parsed)
	if err != nil {
		return "", false, err
	}
	if !desc.MediaType.IsIndex() {
		return "", false, nil
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		return "", true, err
	}
	manifest, err := idx.IndexManifest()
	if err != nil {
		return "", true, err
	}
	for _, m := range manifest.Manifests {
		if m.Platform == nil {
			continue
		}
		p, err := platforms.Parse(m.Platform.String())
		if err == nil && platforms.FormatAll(platforms.Normalize(p)) == platform {
			d, err := Digested(ref, m.Digest.String())
			return d, true, err
		}
	}
	return "", true, nil
}

// Digested is ref's repository, spelled as in ref, at digest: a tag in ref
// is dropped (BuildKit and ggcr read repository@digest).
func Digested(ref, digest string) (string, error) {
	tag, err := name.NewTag(ref)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(ref, ":"+tag.TagStr()) + "@" + digest, nil
}
