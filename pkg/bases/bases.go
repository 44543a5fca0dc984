// Package bases knows the base images of a plan's stages: the digests a
// stage's cache was built on (recorded in its annotations by a publish),
// the digests the bases' tags name now, and so which stages a build must
// pull again (Refresh) or a scheduled job should rebuild (Outdated). It
// reads registries and needs no daemon.
package bases

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"

	"github.com/cairn-build/cairn/internal/dfparse"
	"github.com/cairn-build/cairn/internal/human"
	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/planner"
	"github.com/cairn-build/cairn/pkg/registry"
)

// AnnotationDigests is the annotation of a stage's cache (the manifest
// of an inline cache image, the index of a multi-platform one, the manifest
// of a mode=max cache) that records the base image digests the stage was
// built on: "linux/amd64=sha256:…,linux/arm64=sha256:…", one manifest
// digest per platform. The base's name is in ocispecs.AnnotationBaseImageName
// beside it; stage images also carry ocispecs.AnnotationBaseImageDigest.
// Older cairns wrote it as io.github.cairn-build.base.digests, which
// registry.Lookup reads too.
const AnnotationDigests = registry.Namespace + registry.KeyBaseDigests

// stageBase is one stage's external base image: the digests its cache was
// built on and those its tag has now.
type stageBase struct {
	stage    planner.StagePlan
	ref      string // normalized, e.g. docker.io/library/busybox:1.36
	recorded *baseRecord
	current  map[string]string // platform → manifest digest
	err      error             // the base could not be resolved
	// recordErr is why the cache could not be read: it has no record.
	recordErr error
}

// baseRecord is what a stage's cache says about its base.
type baseRecord struct {
	ref     string
	digests map[string]string // platform → manifest digest
}

// moved are the platforms whose base digest differs from the recorded one,
// with the recorded digest. A base whose name changed did not move: the
// Dockerfile changed, and BuildKit rebuilds for that alone.
func (b *stageBase) moved() map[string]string {
	if b.recorded == nil || b.recorded.ref != b.ref || b.err != nil {
		return nil
	}
	var old map[string]string
	for pf, d := range b.current {
		if was, ok := b.recorded.digests[pf]; ok && was != d {
			if old == nil {
				old = map[string]string{}
			}
			old[pf] = was
		}
	}
	return old
}

// externalBases are the plan's standalone stages built FROM an image (not
// a stage, not scratch), with their base normalized as BuildKit names it.
func externalBases(plan *planner.Plan, contexts map[string]string) []*stageBase {
	var bases []*stageBase
	for _, s := range plan.Stages {
		if _, named := contexts[s.Base]; named || !s.Standalone || s.BaseIsStage || s.Base == dfparse.Scratch {
			continue // a named context replaces the image: BuildKit never pulls it
		}
		named, err := reference.ParseNormalizedNamed(s.Base)
		if err != nil {
			continue // unreachable: the planner checked every base as BuildKit does
		}
		bases = append(bases, &stageBase{stage: s, ref: reference.TagNameOnly(named).String()})
	}
	return bases
}

// checkBases reads every base's record from its stage's cache ref and
// resolves its current digests for the platforms platformsFor names (given
// the record, nil when there is none), concurrently, at most reg.Jobs()
// requests at a time. The failures are the stageBase's err and recordErr.
func checkBases(ctx context.Context, reg *registry.Access, bases []*stageBase, platformsFor func(*stageBase) []string) {
	r := &baseResolver{reg: reg, calls: map[string]*fetch{}}
	var g errgroup.Group
	g.SetLimit(reg.Jobs())
	for _, b := range bases {
		g.Go(func() error {
			if b.stage.CacheRef != "" {
				b.recorded, b.recordErr = readRecord(ctx, reg, b.stage.CacheRef)
			}
			for _, pf := range platformsFor(b) {
				d, err := r.digest(ctx, b.ref, pf)
				if err != nil {
					b.err, b.current = err, nil
					return nil
				}
				if b.current == nil {
					b.current = map[string]string{}
				}
				b.current[pf] = d
			}
			return nil
		})
	}
	_ = g.Wait() // the goroutines keep their errors in the stageBase
}

// readRecord is the base record of the cache under ref; nil when there is
// no cache there or it records no base.
func readRecord(ctx context.Context, reg *registry.Access, ref string) (*baseRecord, error) {
	parsed, err := reg.Reference(ref)
	if err != nil {
		return nil, err
	}
	desc, err := reg.Get(ctx, parsed)
	if registry.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read cache %s: %w", ref, err)
	}
	var m struct {
		Annotations map[string]string `json:"annotations"`
	}
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		return nil, fmt.Errorf("read cache %s: %w", ref, err)
	}
	return parseRecord(m.Annotations), nil
}

// parseRecord reads a base record from annotations; nil when they hold none.
func parseRecord(annotations map[string]string) *baseRecord {
	ref, value := annotations[ocispecs.AnnotationBaseImageName], registry.Lookup(annotations, registry.KeyBaseDigests)
	if ref == "" || value == "" {
		return nil
	}
	r := &baseRecord{ref: ref, digests: map[string]string{}}
	for _, entry := range strings.Split(value, ",") {
		pf, d, ok := strings.Cut(entry, "=")
		if !ok || pf == "" || d == "" {
			return nil
		}
		r.digests[pf] = d
	}
	return r
}

// formatDigests is a record's value: platform=digest pairs, sorted.
func formatDigests(digests map[string]string) string {
	pairs := make([]string, 0, len(digests))
	for _, pf := range slices.Sorted(maps.Keys(digests)) {
		pairs = append(pairs, pf+"="+digests[pf])
	}
	return strings.Join(pairs, ",")
}

// baseResolver fetches each base ref once, however many stages and
// platforms ask for it.
type baseResolver struct {
	reg   *registry.Access
	mu    sync.Mutex
	calls map[string]*fetch
}

type fetch struct {
	once sync.Once
	desc *remote.Descriptor
	err  error
}

// digest is the digest of the manifest BuildKit pulls for ref on platform
// pf: in an index, the best match as containerd ranks them (an exact match
// first); a plain manifest is its own digest.
func (r *baseResolver) digest(ctx context.Context, ref, pf string) (string, error) {
	desc, err := r.get(ctx, ref)
	if err != nil {
		return "", err
	}
	if !desc.MediaType.IsIndex() {
		return desc.Digest.String(), nil
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		return "", fmt.Errorf("base %s: %w", ref, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return "", fmt.Errorf("base %s: %w", ref, err)
	}
	want, err := platforms.Parse(pf)
	if err != nil {
		return "", err
	}
	match := platforms.Only(want)
	var best *v1.Descriptor
	for i, m := range im.Manifests {
		if m.Platform == nil || !match.Match(ociPlatform(*m.Platform)) {
			continue
		}
		if best == nil || match.Less(ociPlatform(*m.Platform), ociPlatform(*best.Platform)) {
			best = &im.Manifests[i]
		}
	}
	if best == nil {
		return "", fmt.Errorf("base %s has no image for %s", ref, pf)
	}
	return best.Digest.String(), nil
}

func (r *baseResolver) get(ctx context.Context, ref string) (*remote.Descriptor, error) {
	r.mu.Lock()
	f, ok := r.calls[ref]
	if !ok {
		f = &fetch{}
		r.calls[ref] = f
	}
	r.mu.Unlock()
	f.once.Do(func() {
		parsed, err := r.reg.Reference(ref)
		if err != nil {
			f.err = err
			return
		}
		if f.desc, f.err = r.reg.Get(ctx, parsed); f.err != nil {
			f.err = fmt.Errorf("resolve base %s: %w", ref, f.err)
		}
	})
	return f.desc, f.err
}

func ociPlatform(p v1.Platform) ocispecs.Platform {
	return ocispecs.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant, OSVersion: p.OSVersion, OSFeatures: p.OSFeatures}
}

// pulledFor are the platforms a stage's base is pulled for: its FROM
// --platform, else every target platform.
func pulledFor(targets []string) func(*stageBase) []string {
	return func(b *stageBase) []string {
		if b.stage.Platform == "" {
			return targets
		}
		pf, err := platforms.Parse(b.stage.Platform)
		if err != nil {
			return targets // unreachable: the planner checked it
		}
		return []string{platforms.FormatAll(platforms.Normalize(pf))}
	}
}

// Checked are the bases of a plan's stages, checked before a build of
// it for its target platforms; nil (baseImages.refresh off) checks none.
type Checked struct {
	bases   []*stageBase
	targets []string
}

// Refresh checks the bases of the plan's stages before a build for
// targets and says on log what it found: which bases moved, and which
// could not be checked. A base that names one of the build's named
// contexts (NAME → source) is not an image the build reads.
func Refresh(ctx context.Context, reg *registry.Access, plan *planner.Plan, contexts map[string]string, targets []string, log *slog.Logger) *Checked {
	bases := externalBases(plan, contexts)
	checkBases(ctx, reg, bases, pulledFor(targets))
	failed := map[string]bool{}
	for _, b := range bases {
		switch old := b.moved(); {
		case b.err != nil && !failed[b.ref]:
			failed[b.ref] = true
			log.Info(fmt.Sprintf("base %s not checked, its digest is not recorded (baseImages.refresh: false skips the check): %v", b.ref, b.err))
		case old != nil:
			log.Info(fmt.Sprintf("stage %s: base %s moved since its cache was built (%s): rebuilding it with --pull", b.stage.Name, b.ref, describeMoves(old, b.current)))
		}
	}
	return &Checked{bases: bases, targets: targets}
}

func describeMoves(old, current map[string]string) string {
	var moves []string
	for _, pf := range slices.Sorted(maps.Keys(old)) {
		moves = append(moves, fmt.Sprintf("%s: %s → %s", pf, human.Digest(old[pf]), human.Digest(current[pf])))
	}
	return strings.Join(moves, ", ")
}

// StageOptions are the solve options the bases give: each resolved base
// is recorded on its stage's image and cache, and a stage whose base
// moved, or that depends on one that did, is solved with pull mode (its
// solve resolves its dependencies' bases again).
func (c *Checked) StageOptions(plan *planner.Plan) map[string]build.StageOptions {
	if c == nil {
		return nil
	}
	return stageOptions(plan, c.bases, c.targets)
}

func stageOptions(plan *planner.Plan, bases []*stageBase, targets []string) map[string]build.StageOptions {
	opts := map[string]build.StageOptions{}
	moved := map[string]bool{}
	for _, b := range bases {
		moved[b.stage.Name] = b.moved() != nil
		if b.err == nil && len(b.current) > 0 {
			opts[b.stage.Name] = build.StageOptions{
				ImageAnnotations: b.imageAnnotations(targets),
				CacheAnnotations: map[string]string{ocispecs.AnnotationBaseImageName: b.ref, AnnotationDigests: formatDigests(b.current)},
			}
		}
	}
	for _, s := range plan.Stages { // dependencies come first
		pull := moved[s.Name]
		for _, d := range s.DependsOn {
			pull = pull || moved[d]
		}
		if pull {
			moved[s.Name] = true
			o := opts[s.Name]
			o.Pull = true
			opts[s.Name] = o
		}
	}
	return opts
}

// imageAnnotations are the image exporter attributes that record the base
// on an image built for targets: on a single-platform image's manifest, the
// record and the OCI base annotations; in a multi-platform index, the
// record on the index and on each platform's manifest its base's digest.
func (b *stageBase) imageAnnotations(targets []string) map[string]string {
	name, record := ocispecs.AnnotationBaseImageName, formatDigests(b.current)
	attrs := map[string]string{"annotation." + name: b.ref}
	if len(targets) < 2 {
		attrs["annotation."+AnnotationDigests] = record
		attrs["annotation."+ocispecs.AnnotationBaseImageDigest] = b.digestFor(targets[0])
		return attrs
	}
	attrs["annotation-index."+name] = b.ref
	attrs["annotation-index."+AnnotationDigests] = record
	for _, t := range targets {
		attrs[fmt.Sprintf("annotation-manifest[%s].%s", t, ocispecs.AnnotationBaseImageDigest)] = b.digestFor(t)
	}
	return attrs
}

// digestFor is the digest of the base the stage's image for target is
// built on: with FROM --platform, the one base of every target.
func (b *stageBase) digestFor(target string) string {
	if b.stage.Platform != "" {
		for _, d := range b.current {
			return d
		}
	}
	return b.current[target]
}

// Report is a stage's external base image in a build's report.
type Report struct {
	// Ref is the base as BuildKit names it, e.g. docker.io/library/busybox:1.36.
	Ref string `json:"ref"`
	// Digests are the manifest digests the stage was built on, by platform.
	Digests map[string]string `json:"digests,omitempty"`
	// Previous are the digests the stage's cache had been built on, where
	// they differ: the base moved and the stage was rebuilt with --pull.
	Previous map[string]string `json:"previous,omitempty"`
	// Error is why the base could not be resolved (it was not recorded).
	Error string `json:"error,omitempty"`
}

// Report is the stage's base, nil when it has none checked.
func (c *Checked) Report(stage string) *Report {
	if c == nil {
		return nil
	}
	for _, b := range c.bases {
		if b.stage.Name != stage {
			continue
		}
		r := &Report{Ref: b.ref, Digests: b.current, Previous: b.moved()}
		if b.err != nil {
			r.Error = b.err.Error()
		}
		return r
	}
	return nil
}
