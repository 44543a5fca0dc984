package cairn

import (
	"context"
	"fmt"
	"strings"

	"github.com/containerd/platforms"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/push"
)

// stageIndexes joins each stage's per-platform images in an OCI image
// index, with the stage's index annotations (see onePlatform), and, when
// publishing, stages it by digest where the images are:
// in the repositories of the stage's tags, and for its cache ref the same
// index (inline mode: the images carry the caches) or an index of its
// per-platform mode=max caches. Cache refs thus name one index per stage,
// whose manifest for a platform the next build of that platform imports.
func stageIndexes(ctx context.Context, parts []*platformPart, bo build.Options, annotations map[string]map[string]string) ([]build.Index, error) {
	var indexes []build.Index
	for _, s := range parts[0].plan.Stages {
		rows := stageRows(parts, s.Name)
		if len(rows) < len(parts) {
			continue // not built on its own: unnamed, inside its dependents
		}
		images := make([]ocispecs.Descriptor, len(rows))
		sameCache := true
		for i, r := range rows {
			if r.Descriptor == nil {
				return nil, fmt.Errorf("stage %s, %s: no image descriptor in the exporter response", s.Name, r.Platform)
			}
			images[i] = onPlatform(*r.Descriptor, r.Platform)
			sameCache = sameCache && r.CacheDigest == r.Digest
		}
		idx, err := push.NewIndex(images, annotations[s.Name])
		if err != nil {
			return nil, fmt.Errorf("stage %s: %w", s.Name, err)
		}
		desc, err := push.IndexDescriptor(idx)
		if err != nil {
			return nil, err
		}
		ix := build.Index{Stage: s.Name, Digest: desc.Digest.String(), Descriptor: &desc}
		if !bo.Push {
			indexes = append(indexes, ix)
			continue
		}
		if err := push.StageIndex(ctx, bo.Registry, idx, rows[0].Tags...); err != nil {
			return nil, fmt.Errorf("stage %s: %w", s.Name, err)
		}
		if ref := rows[0].CacheExport; ref != "" {
			if !sameCache {
				if idx, err = cacheIndex(ctx, bo, ref, rows, bo.Stages[s.Name].CacheAnnotations); err != nil {
					return nil, fmt.Errorf("stage %s: %w", s.Name, err)
				}
			}
			if err := push.StageIndex(ctx, bo.Registry, idx, ref); err != nil {
				return nil, fmt.Errorf("stage %s: %w", s.Name, err)
			}
			d, err := idx.Digest()
			if err != nil {
				return nil, err
			}
			ix.CacheDigest = d.String()
		}
		indexes = append(indexes, ix)
	}
	return indexes, nil
}

// cacheIndex is the index of the stage's per-platform mode=max caches,
// read from the cache ref's repository, where the build staged them.
func cacheIndex(ctx context.Context, bo build.Options, ref string, rows []build.StageResult, annotations map[string]string) (v1.ImageIndex, error) {
	caches := make([]ocispecs.Descriptor, len(rows))
	for i, r := range rows {
		desc, err := push.Describe(ctx, bo.Registry, ref, r.CacheDigest)
		if err != nil {
			return nil, err
		}
		caches[i] = onPlatform(desc, r.Platform)
	}
	return push.NewIndex(caches, annotations)
}

// stageRows are the stage's results, one per platform, in target order.
func stageRows(parts []*platformPart, stage string) []build.StageResult {
	var rows []build.StageResult
	for _, part := range parts {
		if part.res == nil {
			continue
		}
		for _, r := range part.res.Stages {
			if r.Name == stage && r.Digest != "" {
				r.Platform = part.platform
				rows = append(rows, r)
			}
		}
	}
	return rows
}

// onPlatform is desc, marked as the manifest for platform.
func onPlatform(desc ocispecs.Descriptor, platform string) ocispecs.Descriptor {
	p, err := platforms.Parse(platform)
	if err == nil {
		p = platforms.Normalize(p)
		desc.Platform = &p
	}
	desc.Annotations = nil
	return desc
}

// onePlatform are the build options for platform t of several, each built
// on its own. BuildKit refuses index annotations on a one-platform export:
// they are returned, by stage, for the index cairn assembles; a manifest
// annotation for t applies to the one manifest, those for other platforms
// are dropped.
func onePlatform(bo build.Options, t string) (build.Options, map[string]map[string]string) {
	bo.Platforms = []string{t}
	index := map[string]map[string]string{}
	split := func(stage string, attrs map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range attrs {
			switch kind, key, _ := strings.Cut(k, "."); {
			case kind == "annotation-index":
				if index[stage] == nil {
					index[stage] = map[string]string{}
				}
				index[stage][key] = v
			case strings.HasSuffix(kind, "]"):
				if base, p, _ := strings.Cut(strings.TrimSuffix(kind, "]"), "["); samePlatform(p, t) {
					out[base+"."+key] = v
				}
			case !strings.HasPrefix(kind, "annotation-index"):
				out[k] = v
			}
		}
		return out
	}
	stages := make(map[string]build.StageOptions, len(bo.Stages))
	for name, so := range bo.Stages {
		so.ImageAnnotations = split(name, so.ImageAnnotations)
		stages[name] = so
	}
	targets := make(map[string]build.TargetOptions, len(bo.Targets))
	for name, to := range bo.Targets {
		to.Annotations = split(name, to.Annotations)
		targets[name] = to
	}
	bo.Stages, bo.Targets = stages, targets
	return bo, index
}

func samePlatform(a, b string) bool {
	pa, errA := platforms.Parse(a)
	pb, errB := platforms.Parse(b)
	return errA == nil && errB == nil && platforms.FormatAll(platforms.Normalize(pa)) == platforms.FormatAll(platforms.Normalize(pb))
}
