// Package inputs computes a publish's input digests: one digest of
// everything a build of a project reads and that decides what it
// publishes — the context's files after its ignore file (content, mode and
// owner, never times), the Dockerfile, build.yaml and the values it
// resolves to with the command line's (build args, platforms, labels,
// annotations, attestations, checks, cache mode, secrets' and SSH agents'
// IDs, never their values), the digests of the images the build pulls, the
// source date epoch and labels, and cairn's version. A publish records it
// with every tag it moves; the next one with the same digest, its tags
// still where that publish left them, has nothing to build.
//
// It is pure but for reading files: the images' digests are given (see
// Images; pkg/bases resolves them) and nothing is asked of a registry or
// a daemon.
package inputs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/planner"
)

// format versions the digest: a cairn that digests differently writes
// another, so no digest of an older rule ever matches one of a newer.
const format = "cairn-inputs-v1"

// Project is what a publish of a project reads.
type Project struct {
	Config     *config.Build
	Plan       *planner.Plan
	Dockerfile []byte // as planned
	// ConfigFile is the build.yaml the project was loaded from, digested as
	// it is ("" for none): what it says beside the values it resolved to.
	ConfigFile string
	// BuildPlatform is the platform Plan was made for (BUILDPLATFORM).
	BuildPlatform string
	// Images are the digests of the images the build pulls, by ref: every
	// one Images names must be there.
	Images map[string]string
	// Epoch and Labels are the source date epoch (nil: off) and the OCI
	// labels of the published images.
	Epoch            *time.Time
	Labels           map[string]string
	RewriteTimestamp bool
	// Version is cairn's: another cairn may publish the same inputs otherwise.
	Version string
	// Signing names who signs the published images and how (the signer's
	// public key, the options); "" when nothing is signed. A new key or
	// option signs again, so it publishes again.
	Signing string
}

// Digests are a project's input digests: the project's, recorded with the
// stages' cache tags, and each target's (the project's and its name),
// recorded with its final tags. A nil *Digests has none.
type Digests struct {
	project string
	targets map[string]string
}

// Project is the project's digest; "" for none.
func (d *Digests) Project() string {
	if d == nil {
		return ""
	}
	return d.project
}

// Target is the target's digest; "" for none.
func (d *Digests) Target(name string) string {
	if d == nil {
		return ""
	}
	return d.targets[name]
}

// Compute digests the project. It fails with an *UnknownError when the
// build reads what only the build can read (a URL, a git repository), and
// when an image of Images has no digest in p.Images.
func Compute(ctx context.Context, p Project) (*Digests, error) {
	if err := unknown(p.Config, p.Dockerfile); err != nil {
		return nil, err
	}
	images := map[string]string{}
	for _, ref := range Images(p.Config, p.Plan, p.Dockerfile) {
		if images[ref] = p.Images[ref]; images[ref] == "" {
			return nil, &UnknownError{What: "image " + ref, Why: "its digest is not known"}
		}
	}
	p.Images = images // those the build pulls alone
	r, err := newRecord(ctx, p)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("input digest: %w", err)
	}
	d := &Digests{project: sum([]byte(format+"\n"), data), targets: map[string]string{}}
	for _, t := range p.Plan.Targets {
		d.targets[t.Name] = sum([]byte(format+"\ntarget\n"), []byte(t.Name+"\n"+d.project))
	}
	return d, nil
}

func sum(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// record is what the project digest is the SHA-256 of, as JSON (whose
// maps are in key order).
type record struct {
	Version        string
	Dockerfile     string // its SHA-256
	DockerfileName string // the frontend's filename
	ConfigFile     string // its SHA-256; "" for none
	Context        string // the tree digest
	// Contexts are the named contexts: a directory's tree digest, else
	// the docker-image:// ref (its digest is in Images).
	Contexts         map[string]string
	Images           map[string]string
	BuildPlatform    string
	Plan             *planner.Plan // stages, targets, tags and cache refs
	Args             map[string]string
	Platforms        []string
	CacheMode        string
	CacheMounts      config.CacheMountPolicy // its exported fields
	Solve            solve
	Checks           map[string]config.TargetChecks
	Attests          map[string]config.Attests
	RefreshBases     bool // records the bases on images
	Epoch            *int64
	Labels           map[string]string
	RewriteTimestamp bool
	Signing          string `json:",omitempty"`
}

// solve are the docker build options that change what a build makes. Left
// out: no-cache and pull (how the same inputs are built), the local
// outputs (a publish that writes them always builds: see Rebuilds), and
// where secrets and SSH keys are read from (temporary paths in CI).
type solve struct {
	Network     string
	AddHosts    []string
	ShmSize     int64
	Ulimits     []string
	Labels      map[string]string
	Annotations map[string]string
	Secrets     []string // IDs
	SSH         []string // IDs
}

func newRecord(ctx context.Context, p Project) (*record, error) {
	cfg := p.Config
	r := &record{
		Version: p.Version, Dockerfile: sum(p.Dockerfile), DockerfileName: filepath.Base(cfg.Dockerfile),
		Contexts: map[string]string{}, Images: p.Images, BuildPlatform: p.BuildPlatform, Plan: p.Plan,
		Args: cfg.Args, Platforms: cfg.Platforms, CacheMode: cfg.CacheMode, CacheMounts: cfg.CacheMounts,
		Checks: cfg.Checks, Attests: map[string]config.Attests{}, RefreshBases: cfg.RefreshBases,
		Labels: p.Labels, RewriteTimestamp: p.RewriteTimestamp, Signing: p.Signing,
		Solve: solve{Network: cfg.Solve.Network, AddHosts: cfg.Solve.AddHosts, ShmSize: cfg.Solve.ShmSize,
			Ulimits: cfg.Solve.Ulimits, Labels: cfg.Solve.Labels, Annotations: cfg.Solve.Annotations},
	}
	for _, s := range cfg.Solve.Secrets {
		r.Solve.Secrets = append(r.Solve.Secrets, s.ID)
	}
	for _, s := range cfg.Solve.SSH {
		r.Solve.SSH = append(r.Solve.SSH, s.ID)
	}
	for _, t := range p.Plan.Targets {
		r.Attests[t.Name] = cfg.Attests(t.Name, true)
	}
	if p.Epoch != nil {
		secs := p.Epoch.Unix()
		r.Epoch = &secs
	}
	if p.ConfigFile != "" {
		data, err := os.ReadFile(p.ConfigFile)
		if err != nil {
			return nil, fmt.Errorf("input digest: %w", err)
		}
		r.ConfigFile = sum(data)
	}
	var err error
	if r.Context, err = contextTree(ctx, cfg.Context, cfg.Dockerfile); err != nil {
		return nil, err
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Solve.Contexts)) {
		src := cfg.Solve.Contexts[name]
		if !isDirectory(src) {
			r.Contexts[name] = src
		} else if r.Contexts[name], err = contextTree(ctx, src, ""); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// contextTree is the tree digest of a context directory after its ignore
// file (see excludes).
func contextTree(ctx context.Context, dir, dockerfile string) (string, error) {
	patterns, err := excludes(dir, dockerfile)
	if err != nil {
		return "", err
	}
	return tree(ctx, dir, patterns)
}

// Rebuilds reports whether a publish of the project builds whatever its
// inputs: it is asked to rebuild every step, or to write files on this
// machine (outputs, a load into the Docker engine, image ID files), which
// a publish that builds nothing would not write.
func Rebuilds(cfg *config.Build, plan *planner.Plan) bool {
	if cfg.Solve.NoCache || cfg.Solve.Load {
		return true
	}
	for _, t := range plan.Targets {
		if len(cfg.Outputs(t.Name)) > 0 || cfg.IIDFile(t.Name) != "" {
			return true
		}
	}
	return false
}
