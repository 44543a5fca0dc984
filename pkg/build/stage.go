package build

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/tonistiigi/fsutil"

	"github.com/cairn-build/cairn/pkg/cache"
	"github.com/cairn-build/cairn/pkg/planner"
	"github.com/cairn-build/cairn/pkg/push"
	"github.com/cairn-build/cairn/pkg/registry"
)

// stageSolve is the solve of one planned stage.
type stageSolve struct {
	stage  planner.StagePlan
	opts   Options
	mounts map[string]fsutil.FS
	states map[string]cache.State
	// owners maps the cache refs of the plan's stages to their stage.
	owners map[string]string
	// cacheDir receives a mode=max cache before it is staged.
	cacheDir string
	// picked maps cache refs to what this solve imports for them (see
	// platformImports); a ref not in it is imported as it is.
	picked map[string]string
	// handoff stages the image by digest in the cache ref's repository with
	// its inline cache, for dependents built on other daemons (see Pool);
	// handoffs are the images of dependencies built elsewhere, imported.
	handoff  bool
	handoffs []CacheImport
	// carry restores the cache mounts steps run with; nil when none.
	carry *carrier
}

// run solves the stage. The result is filled in as far as the solve got;
// the error is why it failed.
func (s *stageSolve) run(ctx context.Context, solver Solver, status chan *client.SolveStatus) (StageResult, error) {
	res := StageResult{Name: s.stage.Name, Tags: []string{}}
	imports, wanted := s.cacheImports()
	for _, h := range s.handoffs {
		imports, wanted = append(imports, h.Ref), append(wanted, h)
	}
	res.CacheImports = wanted
	exportCache := s.opts.Push && s.opts.CacheMode != cache.ModeOff && s.stage.CacheExport != ""
	if exportCache {
		res.CacheExport = s.stage.CacheExport
	}
	if s.opts.Push {
		res.Tags = append(res.Tags, s.stage.Tags...)
	}
	names := s.imageNames(exportCache)
	repos, err := repositories(names)
	if err != nil {
		close(status)
		return res, err
	}
	if exportCache && s.opts.CacheMode == cache.ModeMax {
		dir, err := os.MkdirTemp("", "cairn-cache-")
		if err != nil {
			close(status)
			return res, fmt.Errorf("the mode=max cache's directory: %w", err)
		}
		defer os.RemoveAll(dir)
		s.cacheDir = dir
	}

	steps := newStepCounter(s.stage)
	var forwarding sync.WaitGroup
	defer close(status)
	solve := func(imports []string) (*client.SolveResponse, error) {
		_, noCache := noCache(s.opts.Docker, s.stage)
		return s.carry.solve(ctx, solver, s.stage.Name, status, steps, noCache, func(ctx context.Context, watch func(*client.SolveStatus, *stepMounts)) (*client.SolveResponse, error) {
			opt := s.solveOpt(imports, exportCache, names, repos)
			var see func(*client.SolveStatus)
			if watch != nil {
				reading, stop := context.WithTimeout(ctx, time.Minute)
				defer stop()
				mounts := stepMountsOf(reading, solver, &opt)
				see = func(st *client.SolveStatus) { watch(st, mounts) }
				defer func() {
					if err := mounts.failed(); err != nil && ctx.Err() == nil {
						notef(s.opts, "stage %s: its steps' cache mounts are unknown (%v): each step that ran counts as using every carried one", s.stage.Name, err)
					}
				}()
			}
			inner := make(chan *client.SolveStatus)
			forwarding.Add(1)
			go func() {
				defer forwarding.Done()
				forward(inner, status, steps, see)
			}()
			resp, err := solver.Solve(ctx, nil, opt, inner)
			forwarding.Wait() // Solve has closed inner; let the counts settle
			return resp, err
		})
	}
	start := time.Now()
	resp, err := solve(imports)
	if err != nil && len(imports) > 0 && brokenCache(err) && ctx.Err() == nil {
		// BuildKit fetches cache blobs lazily and fails the whole solve when a
		// cache points at blobs that are gone (moby/buildkit#2836, #2568).
		res.Note = fmt.Sprintf("cache %s is broken (%s): rebuilt without it", strings.Join(imports, ", "), lastLine(err))
		notef(s.opts, "stage %s: %s", s.stage.Name, res.Note)
		steps.reset()
		resp, err = solve(nil)
	}
	res.Duration = time.Since(start).Round(time.Millisecond)
	res.Steps, res.Cached = steps.counts()
	if err != nil {
		res.Source = sourceSnippet(err)
		return res, err
	}
	res.Digest = resp.ExporterResponse["containerimage.digest"]
	res.ConfigDigest = resp.ExporterResponse["containerimage.config.digest"]
	res.Descriptor = exportedDescriptor(resp.ExporterResponse)
	if res.Digest == "" {
		return res, errNoDigest
	}
	if err := s.attestedConfig(ctx, &res); err != nil {
		return res, err
	}
	if exportCache {
		if res.CacheDigest, err = s.stageCache(ctx, res.Digest, resp.ExporterResponse); err != nil {
			return res, err
		}
	}
	return res, s.layoutSolve(ctx, solver, imports)
}

// layoutExports write the stage's image as an OCI layout for its checks.
func (s *stageSolve) layoutExports() []client.ExportEntry {
	dir := s.opts.Layouts[s.stage.Name]
	if dir == "" {
		return nil
	}
	return []client.ExportEntry{{Type: client.ExporterOCI, OutputDir: dir, Attrs: s.reproducible(map[string]string{"tar": "false"})}}
}

// layoutSolve writes the checks' layout and the -o outputs of a published
// stage in a second, cached solve. In one solve with the pushing image exporter, BuildKit
// merges both exporters' responses into one map: the digest of one of the
// two images is lost, and on a rebuild from an imported cache the two
// manifests differ (the layout's index, which the client writes from that
// response, then names a manifest it does not hold).
func (s *stageSolve) layoutSolve(ctx context.Context, solver Solver, imports []string) error {
	exports := s.localExports(nil)
	if !s.pushing() || len(exports) == 0 {
		return nil
	}
	opt := s.solveOpt(imports, false, nil, nil)
	opt.Exports = exports
	opt.FrontendAttrs = withoutAttests(opt.FrontendAttrs)
	delete(opt.FrontendAttrs, "no-cache") // the first solve rebuilt it: take that
	if s.opts.CacheMode == cache.ModeInline && s.stage.CacheExport != "" {
		// The published image's config carries its inline cache: so do
		// these, and they hold the very image the commit publishes.
		opt.CacheExports = cache.Exports(cache.ModeInline, "")
	}
	if _, err := solver.Solve(ctx, nil, opt, nil); err != nil {
		return fmt.Errorf("export the image for its checks and outputs: %w", err)
	}
	return nil
}

// exportedDescriptor decodes the image exporter's descriptor (base64
// JSON); nil when there is none.
func exportedDescriptor(resp map[string]string) *ocispecs.Descriptor {
	data, err := base64.StdEncoding.DecodeString(resp["containerimage.descriptor"])
	if err != nil || len(data) == 0 {
		return nil
	}
	var desc ocispecs.Descriptor
	if json.Unmarshal(data, &desc) != nil {
		return nil
	}
	return &desc
}

// stageCache returns the digest of the stage's cache manifest, staged in
// the cache ref's repository: the stage image itself in inline mode; in max
// mode the cache BuildKit wrote to cacheDir, uploaded by digest now.
func (s *stageSolve) stageCache(ctx context.Context, imageDigest string, resp map[string]string) (string, error) {
	if s.opts.CacheMode == cache.ModeInline {
		return imageDigest, nil
	}
	var desc ocispecs.Descriptor
	if err := json.Unmarshal([]byte(resp["cache.manifest"]), &desc); err != nil {
		return "", fmt.Errorf("no cache manifest in the solve response: %w", err)
	}
	digest := desc.Digest.String()
	if ann := s.opts.Stages[s.stage.Name].CacheAnnotations; len(ann) > 0 {
		var err error
		if digest, err = annotateLayout(s.cacheDir, digest, ann); err != nil {
			return "", err
		}
	}
	// Compared with the platform's cache when the ref holds an index of them.
	return push.StageCache(ctx, s.opts.Registry, s.cacheDir, digest, s.importRef(s.stage.CacheExport))
}

// cacheImports lists every cache ref the plan gives the stage, and returns
// those this solve imports: its own and its fallbacks, where found. A
// dependency's cache was imported by the dependency's own solve, which ran
// first on this daemon. Importing it again here makes BuildKit mix records of
// two inline caches for the same steps, and it then misses the cache of this
// stage's own steps (seen with v0.33.1).
func (s *stageSolve) cacheImports() (imports []string, wanted []CacheImport) {
	wanted = []CacheImport{}
	for _, ref := range s.stage.CacheImports {
		imp := CacheImport{Ref: ref, State: s.states[ref]}
		if owner, ok := s.owners[ref]; ok && owner != s.stage.Name {
			imp.Via = owner
		} else if imp.State == cache.Found {
			imports = append(imports, s.importRef(ref))
		}
		wanted = append(wanted, imp)
	}
	return imports, wanted
}

// forward passes one solve's status on to the display, counting its steps;
// watch, when not nil, sees it too.
func forward(from <-chan *client.SolveStatus, to chan<- *client.SolveStatus, steps *stepCounter, watch func(*client.SolveStatus)) {
	for st := range from {
		steps.observe(st)
		if watch != nil {
			watch(st)
		}
		to <- st
	}
}

// brokenCache reports whether a solve failed on cache content that is gone
// from the registry: a blob or manifest the imported cache refers to.
func brokenCache(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "not found") &&
		(strings.Contains(msg, "content descriptor") || strings.Contains(msg, "failed to fetch") || strings.Contains(msg, "blob"))
}

// sourceSnippet is the Dockerfile excerpt BuildKit attaches to a failed
// step, as `docker build` prints it; "" when there is none.
func sourceSnippet(err error) string {
	var b strings.Builder
	for _, src := range errdefs.Sources(err) {
		_ = src.Print(&b) // into a strings.Builder: cannot fail
	}
	return b.String()
}

// lastLine is the innermost cause of a wrapped error, for one-line notes.
func lastLine(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": could not fetch"); i >= 0 {
		return strings.TrimPrefix(msg[i+2:], "could not fetch ")
	}
	return msg
}

// imageNames are the refs the stage image is staged for: in inline mode, or
// when handed off, its cache ref (the image carries the cache), then the
// target's tags.
func (s *stageSolve) imageNames(exportCache bool) []string {
	var names []string
	if (exportCache && s.opts.CacheMode == cache.ModeInline) || s.handoffImage(exportCache) {
		names = append(names, s.stage.CacheExport)
	}
	if s.opts.Push {
		names = append(names, s.stage.Tags...)
	}
	return names
}

func (s *stageSolve) solveOpt(imports []string, exportCache bool, names, repos []string) client.SolveOpt {
	attrs := map[string]string{"filename": filepath.Base(s.opts.Dockerfile)}
	if !unnamed(s.stage) {
		attrs["target"] = s.stage.Name // else the last stage: BuildKit's default
	}
	for k, v := range s.opts.Args {
		attrs["build-arg:"+k] = v
	}
	if len(s.opts.Platforms) > 0 {
		attrs["platform"] = strings.Join(s.opts.Platforms, ",")
	}
	if len(s.stage.Tags) > 0 {
		for k, v := range s.opts.FinalLabels {
			attrs["label:"+k] = v
		}
	}
	s.dockerAttrs(attrs)
	s.attestAttrs(attrs)
	image := s.annotate(s.imageExport(names, repos))
	if s.opts.Stages[s.stage.Name].Pull {
		attrs["image-resolve-mode"] = pb.AttrImageResolveModeForcePull
	}
	opt := client.SolveOpt{
		Frontend:      "dockerfile.v0",
		FrontendAttrs: attrs,
		LocalMounts:   s.mounts,
		CacheImports:  cache.Imports(s.opts.Registry, imports),
		Session:       s.opts.Session,
		Exports:       []client.ExportEntry{image},
	}
	opt.AllowedEntitlements = allowedEntitlements(s.opts.Docker)
	if !s.pushing() {
		// Without a push the checks' layout and the -o outputs come from
		// this solve (see layoutSolve for why not when pushing); the layout
		// goes last, so the digest BuildKit answers, and writes into the
		// layout's index, is its own.
		opt.Exports = s.localExports(&image)
	}
	if exportCache {
		opt.CacheExports = cache.Exports(s.opts.CacheMode, s.cacheDir)
	} else if len(names) > 0 && s.handoffImage(exportCache) {
		opt.CacheExports = cache.Exports(cache.ModeInline, "")
	}
	return opt
}

// imageExport always exports an image, for its digest. With names, it
// uploads the image by digest to their repositories (repos): blobs and
// manifest are in the registry, and no tag is created or moved until
// push.Commit.
func (s *stageSolve) imageExport(names, repos []string) client.ExportEntry {
	attrs := map[string]string{}
	if len(names) > 0 {
		attrs = pushByDigest(s.opts.Registry, names, repos)
		if len(s.stage.Tags) == 0 {
			// Only a cache, never run by users: zstd packs and unpacks several
			// times faster than gzip, which a fresh runner pays on every layer.
			attrs["compression"] = "zstd"
		}
	}
	return client.ExportEntry{Type: client.ExporterImage, Attrs: s.reproducible(attrs)}
}

// pushByDigest are the image exporter's attrs that upload the image by
// digest to repos, the repositories of refs, creating no tag.
func pushByDigest(reg *registry.Access, refs, repos []string) map[string]string {
	attrs := map[string]string{"name": strings.Join(repos, ","), "push": "true", "push-by-digest": "true"}
	for _, r := range refs {
		if reg.IsInsecure(r) {
			attrs["registry.insecure"] = "true"
		}
	}
	return attrs
}

// reproducible adds the source date epoch to an exporter's attrs. It goes
// to the exporters, not to the frontend as the SOURCE_DATE_EPOCH build arg:
// BuildKit's Dockerfile frontend stamps every WORKDIR with that arg, so a
// per-commit epoch would change the cache keys of every later step on every
// commit. The exporter clamps the config's and history's times to it alone.
func (s *stageSolve) reproducible(attrs map[string]string) map[string]string {
	if s.opts.SourceDateEpoch != nil {
		attrs["source-date-epoch"] = strconv.FormatInt(s.opts.SourceDateEpoch.Unix(), 10)
		if s.opts.RewriteTimestamp {
			attrs["rewrite-timestamp"] = "true"
		}
	}
	return attrs
}

// repositories are the repositories of the tags refs, for BuildKit, which
// pushes by digest only to bare names. Each keeps the user's spelling (ggcr
// finds the tag; only it is dropped), and a repository spelled two ways is
// pushed once.
func repositories(refs []string) ([]string, error) {
	var repos []string
	seen := make(map[string]bool, len(refs))
	for _, ref := range refs {
		tag, err := name.NewTag(ref)
		if err != nil {
			return nil, err
		}
		if key := tag.Context().Name(); !seen[key] {
			seen[key] = true
			// A ref without a tag parses as :latest and has nothing to drop.
			repos = append(repos, strings.TrimSuffix(ref, ":"+tag.TagStr()))
		}
	}
	return repos, nil
}

// stepCounter counts the Dockerfile steps of one stage in its solve status,
// and how many came from the cache. BuildKit v0.33.1 (dockerfile2llb's
// prefixCommand) names them "[builder 2/4] RUN …", unnamed stages
// "[stage-1 2/4] …", and the steps of a Dockerfile with a single stage,
// named or not, "[2/4] …". The index is padded to the width of the total
// ("[builder  2/12]"), and a multi-platform build puts the platform first
// ("[linux/amd64 builder 2/4]"). Steps of other stages are theirs to count.
// FROM is not a step: on an empty daemon BuildKit reports resolving the base
// as done, not cached, even when every layer comes from the remote cache.
type stepCounter struct {
	mu     sync.Mutex
	prefix *regexp.Regexp
	steps  map[digest.Digest]bool // vertex → cached
	ran    map[digest.Digest]bool // run by an attempt canceled for a restore (keepRan)
}

func newStepCounter(stage planner.StagePlan) *stepCounter {
	name := regexp.QuoteMeta(stage.Name) + ` `
	if unnamed(stage) {
		name = fmt.Sprintf("stage-%d ", stage.Index)
	}
	if stage.Index == 0 {
		// Only the first stage can be a Dockerfile's single stage; in a
		// Dockerfile with more, no step goes without its stage's name.
		name = `(?:` + name + `)?`
	}
	platform := `(?:[^ \]/]+/[^ \]]+ )?` // platforms have a "/", stage names never
	return &stepCounter{
		prefix: regexp.MustCompile(`^\[` + platform + name + ` *\d+/\d+\] `),
		steps:  map[digest.Digest]bool{},
	}
}

func (c *stepCounter) observe(st *client.SolveStatus) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, v := range st.Vertexes {
		if v.Completed != nil && v.Error == "" && c.isStep(v.Name) {
			c.steps[v.Digest] = c.steps[v.Digest] || v.Cached
		}
	}
}

func (c *stepCounter) isStep(vertex string) bool {
	loc := c.prefix.FindStringIndex(vertex)
	return loc != nil && !strings.HasPrefix(vertex[loc[1]:], "FROM ")
}

// reset forgets the steps of a failed attempt before its retry.
func (c *stepCounter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.steps)
	clear(c.ran)
}

func (c *stepCounter) counts() (steps, cached int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for d, isCached := range c.steps {
		steps++
		if isCached && !c.ran[d] {
			cached++
		}
	}
	return steps, cached
}

// unnamed reports whether the stage has no AS name (the planner names it by index).
func unnamed(stage planner.StagePlan) bool {
	return stage.Name == fmt.Sprint(stage.Index)
}
