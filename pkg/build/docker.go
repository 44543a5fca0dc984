package build

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/entitlements"
	"github.com/tonistiigi/fsutil"

	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/planner"
)

// Docker are docker build's options for every solve: config.SolveOptions,
// the one type that carries them from the flags and build.yaml to the solve.
type Docker = config.SolveOptions

// TargetOptions are what a target's stage gets that the stages it depends
// on do not: docker build gives labels and annotations to the target only.
type TargetOptions struct {
	Labels map[string]string
	// Annotations are keyed as the image exporter takes them
	// ("annotation.KEY", "annotation-index.KEY", …).
	Annotations map[string]string
	// Outputs are local exports of the target's image, beside the image
	// export cairn stages and reads its digest from.
	Outputs []LocalOutput
	// Attests are the attestations of the published image, by type
	// (provenance, sbom): the value of the frontend's attest:TYPE (see
	// attestAttrs). Local exports and checks get none.
	Attests map[string]string
}

// LocalOutput is one local export of a target's image.
type LocalOutput struct {
	Type  string // client.ExporterOCI, ExporterDocker, ExporterTar or ExporterLocal
	Dest  string // a file; a directory for local, and for oci with tar=false
	Attrs map[string]string
}

// dockerAttrs adds the Docker options, and a target's labels, to the
// stage's frontend attributes.
func (s *stageSolve) dockerAttrs(attrs map[string]string) {
	for k, v := range s.opts.Targets[s.stage.Name].Labels {
		attrs["label:"+k] = v
	}
	frontendAttrs(s.opts.Docker, s.stage, attrs)
}

func frontendAttrs(d Docker, stage planner.StagePlan, attrs map[string]string) {
	if v, ok := noCache(d, stage); ok {
		attrs["no-cache"] = v
	}
	if d.Pull {
		attrs["image-resolve-mode"] = pb.AttrImageResolveModeForcePull
	}
	if d.Network != "" {
		attrs["force-network-mode"] = d.Network
	}
	if len(d.AddHosts) > 0 {
		attrs["add-hosts"] = strings.Join(d.AddHosts, ",")
	}
	if d.ShmSize > 0 {
		attrs["shm-size"] = strconv.FormatInt(d.ShmSize, 10)
	}
	if len(d.Ulimits) > 0 {
		attrs["ulimit"] = strings.Join(d.Ulimits, ",")
	}
	for name, src := range d.Contexts {
		if !filepath.IsAbs(src) {
			attrs["context:"+name] = src // a URL
			continue
		}
		attrs["context:"+name] = "local:" + contextMount(name)
		// Lets BuildKit reuse what it received of the directory last time.
		attrs["sharedkey:localdir:"+name] = filepath.Base(src)
	}
}

// noCache is the stage's no-cache attribute, if it has one. BuildKit
// applies no-cache to every stage in a solve, but the stages this one
// depends on were rebuilt by their own solves just before and are in the
// daemon's cache now: ignoring it again would run their steps twice, and
// could build this stage on other bytes than the ones published for them.
// So a solve ignores the cache of its own stage's steps only — unless an
// unnamed stage is in it: no filter can name those (they are built inside
// the stages that need them), so that solve ignores every cache.
func noCache(d Docker, stage planner.StagePlan) (string, bool) {
	switch {
	case d.NoCache && (unnamed(stage) || slices.ContainsFunc(stage.DependsOn, unnamedStage)):
		return "", true
	case d.NoCache:
		return stage.Name, true
	case slices.ContainsFunc(d.NoCacheFilter, func(n string) bool { return strings.EqualFold(n, stage.Name) }):
		return stage.Name, true
	}
	return "", false
}

// unnamedStage reports whether a stage name is an index: BuildKit's stage
// names start with a letter.
func unnamedStage(name string) bool { return name != "" && name[0] >= '0' && name[0] <= '9' }

func allowedEntitlements(d Docker) []string {
	if d.Network == "host" {
		return []string{entitlements.EntitlementNetworkHost.String()}
	}
	return nil
}

// contextMount is the local mount a named context directory is sent as;
// "context" and "dockerfile" are the build's own.
func contextMount(name string) string {
	if name == "context" || name == "dockerfile" {
		return "_" + name
	}
	return name
}

// addNamedContexts adds the named context directories to the local mounts.
func addNamedContexts(mounts map[string]fsutil.FS, contexts map[string]string) error {
	for name, src := range contexts {
		if !filepath.IsAbs(src) {
			continue
		}
		fs, err := fsutil.NewFS(src)
		if err != nil {
			return fmt.Errorf("build context %s: %w", name, err)
		}
		mounts[contextMount(name)] = fs
	}
	return nil
}

// annotate gives an image export (image, oci or docker) the stage's base
// record (StageOptions) and a target's annotations; every export of the
// image gets them, so that they all hold the same manifest.
func (s *stageSolve) annotate(e client.ExportEntry) client.ExportEntry {
	base, t := s.opts.Stages[s.stage.Name].ImageAnnotations, s.opts.Targets[s.stage.Name]
	if len(base)+len(t.Annotations) == 0 || (e.Type != client.ExporterImage && e.Type != client.ExporterOCI && e.Type != client.ExporterDocker) {
		return e
	}
	e.Attrs = maps.Clone(e.Attrs)
	if e.Attrs == nil {
		e.Attrs = map[string]string{}
	}
	maps.Copy(e.Attrs, base) // every stage's record of its base
	maps.Copy(e.Attrs, t.Annotations)
	return e
}

// localExports are the target's -o outputs and the checks' layout, with
// image (when not nil) after the docker archives: BuildKit merges the
// exporters' responses in order, and the digest it answers (the report's,
// and the one the client writes into an OCI layout's index) must be the OCI
// image's, never a docker archive's manifest.
func (s *stageSolve) localExports(image *client.ExportEntry) []client.ExportEntry {
	var docker, rest []client.ExportEntry
	for _, o := range s.opts.Targets[s.stage.Name].Outputs {
		attrs := maps.Clone(o.Attrs)
		if attrs == nil {
			attrs = map[string]string{}
		}
		if _, ok := attrs["name"]; !ok && len(s.stage.Tags) > 0 && o.Type != client.ExporterLocal && o.Type != client.ExporterTar {
			attrs["name"] = strings.Join(s.stage.Tags, ",") // docker load tags it so
		}
		e := s.annotate(client.ExportEntry{Type: o.Type, Attrs: s.reproducible(attrs)})
		if toDir(o) {
			e.OutputDir = o.Dest
		} else {
			e.Output = createFile(o.Dest)
		}
		if o.Type == client.ExporterDocker {
			docker = append(docker, e)
		} else {
			rest = append(rest, e)
		}
	}
	if image != nil {
		docker = append(docker, *image)
	}
	for _, e := range s.layoutExports() {
		rest = append(rest, s.annotate(e))
	}
	return append(docker, rest...)
}

// toDir reports whether an output is a directory: local, or an OCI
// layout with tar=false.
func toDir(o LocalOutput) bool {
	switch o.Type {
	case client.ExporterLocal:
		return true
	case client.ExporterOCI:
		tar, err := strconv.ParseBool(o.Attrs["tar"])
		return err == nil && !tar
	}
	return false
}

// createFile opens the output file when BuildKit sends it, each time: a
// solve retried without a broken cache writes it again.
func createFile(path string) func(map[string]string) (io.WriteCloser, error) {
	return func(map[string]string) (io.WriteCloser, error) {
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, err
			}
		}
		return os.Create(path)
	}
}
