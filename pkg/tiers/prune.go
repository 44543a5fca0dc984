package tiers

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/planner"
	"github.com/cairn-build/cairn/pkg/registry"
)

// Options configure Prune.
type Options struct {
	// OlderThan: a tier whose stamp is older is deleted. 0 deletes every
	// stamped tier that is not protected.
	OlderThan time.Duration
	// DryRun lists what would be deleted, deleting nothing.
	DryRun bool
	// Registry is how the registry is reached; nil is registry.New().
	Registry *registry.Access
	// Now is the clock the age is measured on; nil is time.Now.
	Now func() time.Time
}

// ErrDeleteRefused is matched by the error of a prune the registry would
// not let delete (405, UNSUPPORTED): deletes are off there.
var ErrDeleteRefused = errors.New("the registry refuses deletes")

// ErrNoTiers is matched by the error of a prune of a project whose cache
// refs name no {branch}: there are no branch tiers to tell apart.
var ErrNoTiers = errors.New("no branch tiers")

// Tier actions in a Report.
const (
	Kept       = "kept"
	Delete     = "would delete" // a dry run's
	Deleted    = "deleted"
	NotDeleted = "not deleted" // the prune stopped before it (see the error)
)

// Report is what Prune found and did.
type Report struct {
	Cutoff time.Time `json:"cutoff"` // tiers stamped before it are stale
	Tiers  []Tier    `json:"tiers"`  // by tier name
	// Bytes is the size of the blobs that the deleted tags reference and
	// no kept tag does, counted once each: freed when the registry next
	// collects garbage.
	Bytes  int64 `json:"bytes"`
	DryRun bool  `json:"dryRun"`
}

// Tier is one tier found in the registry.
type Tier struct {
	Tier    string    `json:"tier"`              // the {branch} value
	Branch  string    `json:"branch,omitempty"`  // as its stamp records it
	Written time.Time `json:"written,omitzero"`  // its stamp's time; zero without one
	Action  string    `json:"action"`            // Kept, Delete, Deleted, NotDeleted
	Reason  string    `json:"reason,omitempty"`  // why it is kept
	Tags    []string  `json:"tags"`              // the tags to delete (its caches and stamp), full refs; none when kept
	Deleted []string  `json:"deleted,omitempty"` // the tags the prune deleted
}

// Prune deletes the cache tags of branch tiers written before
// opts.OlderThan ago: stage caches, cache mount snapshots and the tier's
// stamp, found by matching every tag in the cache refs' repositories
// against cache.ref and cache.mounts.ref. A tier's time is that of its
// stamp, which every publish of the tier moves; a tier without one is
// kept. Never deleted: a protected tier (cache.protected), a tag that
// matches no cache template or that only a fresh or protected tier can
// have made, and the project's final tags. Tags are deleted by tag (OCI
// distribution 1.1); a registry that cannot delete tags has the manifest
// deleted by digest instead, when no kept tag shares it. The report is
// returned also on error. finalTags are the project's final tags, never
// deleted.
func Prune(ctx context.Context, cfg *config.Build, plan *planner.Plan, finalTags []string, opts Options) (*Report, error) {
	if opts.Registry == nil {
		var err error
		if opts.Registry, err = registry.New(); err != nil {
			return nil, err
		}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	patterns, err := tierPatterns(cfg, plan)
	if err != nil {
		return nil, err
	}
	pr := &pruner{reg: opts.Registry, tier: cfg.Tier, finalTags: finalTags, patterns: patterns, stamps: map[string]bool{}, manifests: map[string]*manifestInfo{}}
	if err := pr.read(ctx); err != nil {
		return nil, err
	}
	report := pr.plan(opts.Now().Add(-opts.OlderThan))
	report.DryRun = opts.DryRun
	if opts.DryRun {
		return report, nil
	}
	return report, pr.delete(ctx, report)
}

// tierPatterns are the project's tiered cache templates, knowing its
// stages and cache mount IDs.
func tierPatterns(cfg *config.Build, plan *planner.Plan) ([]config.TierPattern, error) {
	var stages, ids []string
	for _, s := range plan.Stages {
		stages = append(stages, s.Name)
		for _, m := range s.CacheMounts {
			if m.ID != "" {
				ids = append(ids, m.ID)
			}
		}
	}
	patterns, err := cfg.TierPatterns(stages, ids)
	if err != nil {
		return nil, err
	}
	if len(patterns) == 0 {
		return nil, fmt.Errorf("prune: %w: cache.ref and cache.mounts.ref do not name {branch} (e.g. \"{repository}:cache-{branch}-{stage}\")", ErrNoTiers)
	}
	return patterns, nil
}

// plan decides each tier's fate: stale when stamped before cutoff and not
// protected. A tag is deleted only when every tier it can be is stale.
func (pr *pruner) plan(cutoff time.Time) *Report {
	tier := pr.tier
	report := &Report{Cutoff: cutoff, Tiers: []Tier{}}
	byName := map[string]*Tier{}
	get := func(name string) *Tier {
		if r, ok := byName[name]; ok {
			return r
		}
		r := &Tier{Tier: name, Action: Kept, Tags: []string{}}
		byName[name] = r
		return r
	}
	for _, t := range pr.tags {
		for _, m := range t.tiers {
			r := get(m.Tier)
			if info := pr.manifests[t.ref()]; m.Stamp && len(t.tiers) == 1 && registry.IsArtifact(info.artifact, registry.ArtifactTierStamp) {
				r.Written, _ = time.Parse(time.RFC3339Nano, info.annotations[annotationCreated])
				r.Branch = registry.Lookup(info.annotations, registry.KeyTierBranch)
				pr.stamps[t.ref()] = true
			}
		}
	}
	stale := func(r *Tier) bool {
		if p, ok := tier.Protects(r.Tier); ok {
			r.Reason = fmt.Sprintf("protected (cache.protected %q)", p)
			return false
		}
		switch {
		case r.Written.IsZero():
			r.Reason = "no stamp: when it was written is unknown"
		case !r.Written.Before(cutoff):
			r.Reason = "written " + r.Written.UTC().Format(time.RFC3339) + ", after the cutoff"
		default:
			return true
		}
		return false
	}
	for _, r := range byName {
		if stale(r) {
			r.Action = Delete
		}
	}
	deleted, kept := map[string]int64{}, map[string]bool{}
	for _, t := range pr.tags {
		info := pr.manifests[t.ref()]
		all := len(t.tiers) > 0
		for _, m := range t.tiers {
			all = all && byName[m.Tier].Action == Delete
		}
		if !all {
			for d := range info.blobs {
				kept[d] = true
			}
			continue
		}
		r := byName[t.tiers[0].Tier]
		r.Tags = append(r.Tags, t.ref())
		for d, size := range info.blobs {
			deleted[d] = size
		}
	}
	for d, size := range deleted {
		if !kept[d] {
			report.Bytes += size
		}
	}
	for _, r := range byName {
		report.Tiers = append(report.Tiers, *r)
	}
	sort.Slice(report.Tiers, func(i, j int) bool { return report.Tiers[i].Tier < report.Tiers[j].Tier })
	return report
}

// ParseAge reads a prune age: a number of days ("14d") or weeks ("2w"),
// or a Go duration ("36h", "90m", "0s").
func ParseAge(s string) (time.Duration, error) {
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if num, ok := strings.CutSuffix(s, suffix); ok {
			n, err := strconv.ParseFloat(num, 64)
			if err != nil || n < 0 {
				break
			}
			return time.Duration(n * float64(unit)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("age %q: want days (14d), weeks (2w) or a duration (36h, 90m)", s)
	}
	return d, nil
}
