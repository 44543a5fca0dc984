package build

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/containerd/platforms"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"

	"github.com/cairn-build/cairn/pkg/planner"
	"github.com/cairn-build/cairn/pkg/push"
)

// PlatformBuild is one target platform's share of a build of several,
// each built on its own: its plan and the daemons that build it.
type PlatformBuild struct {
	Platform string // as in Options.Platforms
	Daemons  *Pool
	Plan     *planner.Plan

	res *Result
	err error
}

// RunPlatforms builds each target platform on its own daemons, all at
// once, then joins each stage's per-platform images (and caches) in an
// image index, staged by digest when publishing.
func RunPlatforms(ctx context.Context, parts []*PlatformBuild, bo Options) (*Result, error) {
	var g errgroup.Group // each part keeps its error: every platform's failure is reported
	var annotations map[string]map[string]string
	for i, part := range parts {
		opts, index := onePlatform(bo, part.Platform)
		annotations = index // the same for every platform
		if i > 0 {
			opts.Layouts = nil // checks read the first platform's image
		}
		g.Go(func() error {
			part.res, part.err = RunPool(ctx, part.Daemons, part.Plan, opts)
			return nil
		})
	}
	_ = g.Wait()
	res := joinPlatforms(parts)
	var errs []error
	for _, part := range parts {
		if part.err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", part.Platform, part.err))
		}
	}
	if len(errs) > 0 {
		return res, errors.Join(errs...)
	}
	var err error
	res.Indexes, err = stageIndexes(ctx, parts, bo, annotations)
	return res, err
}

// joinPlatforms lists every stage's per-platform results together, in plan
// order, each platform in the order of the targets, and joins the
// platforms' cache mounts, one per cache ID.
func joinPlatforms(parts []*PlatformBuild) *Result {
	res := &Result{}
	var mounts [][]MountResult
	for _, part := range parts {
		if part.res != nil {
			mounts = append(mounts, part.res.Mounts)
		}
	}
	res.Mounts = JoinMounts(mounts...)
	for _, s := range parts[0].Plan.Stages {
		for _, part := range parts {
			if part.res == nil {
				continue
			}
			for _, r := range part.res.Stages {
				if r.Name == s.Name {
					r.Platform = part.Platform
					res.Stages = append(res.Stages, r)
				}
			}
		}
	}
	return res
}

// stageIndexes joins each stage's per-platform images in an OCI image
// index, with the stage's index annotations (see onePlatform), and, when
// publishing, stages it by digest where the images are:
// in the repositories of the stage's tags, and for its cache ref the same
// index (inline mode: the images carry the caches) or an index of its
// per-platform mode=max caches. Cache refs thus name one index per stage,
// whose manifest for a platform the next build of that platform imports.
func stageIndexes(ctx context.Context, parts []*PlatformBuild, bo Options, annotations map[string]map[string]string) ([]Index, error) {
	var indexes []Index
	for _, s := range parts[0].Plan.Stages {
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
		ix := Index{Stage: s.Name, Digest: desc.Digest.String(), Descriptor: &desc}
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
func cacheIndex(ctx context.Context, bo Options, ref string, rows []StageResult, annotations map[string]string) (v1.ImageIndex, error) {
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
func stageRows(parts []*PlatformBuild, stage string) []StageResult {
	var rows []StageResult
	for _, part := range parts {
		if part.res == nil {
			continue
		}
		for _, r := range part.res.Stages {
			if r.Name == stage && r.Digest != "" {
				r.Platform = part.Platform
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
func onePlatform(bo Options, t string) (Options, map[string]map[string]string) {
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
	stages := make(map[string]StageOptions, len(bo.Stages))
	for name, so := range bo.Stages {
		so.ImageAnnotations = split(name, so.ImageAnnotations)
		stages[name] = so
	}
	targets := make(map[string]TargetOptions, len(bo.Targets))
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
