package cairn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/registry"
)

// PruneOptions configure Prune.
type PruneOptions struct {
	// OlderThan: a tier whose stamp is older is deleted. 0 deletes every
	// stamped tier that is not protected.
	OlderThan time.Duration
	// DryRun lists what would be deleted, deleting nothing.
	DryRun bool
	// Registry is how the registry is reached; nil gives Registry(p).
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

// Tier actions in a PruneReport.
const (
	TierKept      = "kept"
	TierDelete    = "would delete" // a dry run's
	TierDeleted   = "deleted"
	TierNotPruned = "not deleted" // the prune stopped before it (see the error)
)

// PruneReport is what Prune found and did.
type PruneReport struct {
	Cutoff time.Time    `json:"cutoff"` // tiers stamped before it are stale
	Tiers  []TierReport `json:"tiers"`  // by tier name
	// Bytes is the size of the blobs that the deleted tags reference and
	// no kept tag does, counted once each: freed when the registry next
	// collects garbage.
	Bytes  int64 `json:"bytes"`
	DryRun bool  `json:"dryRun"`
}

// TierReport is one tier found in the registry.
type TierReport struct {
	Tier    string    `json:"tier"`              // the {branch} value
	Branch  string    `json:"branch,omitempty"`  // as its stamp records it
	Written time.Time `json:"written,omitzero"`  // its stamp's time; zero without one
	Action  string    `json:"action"`            // TierKept, TierDelete, TierDeleted, TierNotPruned
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
// returned also on error.
func Prune(ctx context.Context, p *Project, opts PruneOptions) (*PruneReport, error) {
	if opts.Registry == nil {
		var err error
		if opts.Registry, err = Registry(p); err != nil {
			return nil, err
		}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	patterns, err := p.tierPatterns()
	if err != nil {
		return nil, err
	}
	pr := &pruner{reg: opts.Registry, project: p, patterns: patterns, stamps: map[string]bool{}, manifests: map[string]*manifestInfo{}}
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
func (p *Project) tierPatterns() ([]config.TierPattern, error) {
	var stages, ids []string
	for _, s := range p.Plan.Stages {
		stages = append(stages, s.Name)
		for _, m := range s.CacheMounts {
			if m.ID != "" {
				ids = append(ids, m.ID)
			}
		}
	}
	patterns, err := p.Config.TierPatterns(stages, ids)
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
func (pr *pruner) plan(cutoff time.Time) *PruneReport {
	tier := pr.project.Config.Tier
	report := &PruneReport{Cutoff: cutoff, Tiers: []TierReport{}}
	byName := map[string]*TierReport{}
	get := func(name string) *TierReport {
		if r, ok := byName[name]; ok {
			return r
		}
		r := &TierReport{Tier: name, Action: TierKept, Tags: []string{}}
		byName[name] = r
		return r
	}
	for _, t := range pr.tags {
		for _, m := range t.tiers {
			r := get(m.Tier)
			if info := pr.manifests[t.ref()]; m.Stamp && len(t.tiers) == 1 && info.artifact == stampArtifactType {
				r.Written, _ = time.Parse(time.RFC3339Nano, info.annotations[annotationCreated])
				r.Branch = info.annotations[annotationBranch]
				pr.stamps[t.ref()] = true
			}
		}
	}
	stale := func(r *TierReport) bool {
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
			r.Action = TierDelete
		}
	}
	deleted, kept := map[string]int64{}, map[string]bool{}
	for _, t := range pr.tags {
		info := pr.manifests[t.ref()]
		all := len(t.tiers) > 0
		for _, m := range t.tiers {
			all = all && byName[m.Tier].Action == TierDelete
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

// WriteText prints a table of the tiers, the tags deleted (or that would
// be), and the bytes freed.
func (r *PruneReport) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "TIER\tBRANCH\tWRITTEN\tACTION\tNOTE")
	var tags []string
	for _, t := range r.Tiers {
		written, note := "-", t.Reason
		if !t.Written.IsZero() {
			written = t.Written.UTC().Format(time.RFC3339)
		}
		if t.Action != TierKept {
			note = fmt.Sprintf("%d tags", len(t.Tags))
			tags = append(tags, t.Tags...)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Tier, orDash(t.Branch), written, t.Action, note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	verb := "freed"
	if r.DryRun {
		verb = "would free"
	}
	var b strings.Builder
	if len(tags) > 0 {
		b.WriteString("\n")
		for _, t := range tags {
			b.WriteString("  " + t + "\n")
		}
	}
	fmt.Fprintf(&b, "\n%s %s (%d bytes) of blobs no kept tag references, once the registry collects garbage\n", verb, humanBytes(r.Bytes), r.Bytes)
	_, err := io.WriteString(w, b.String())
	return err
}

// humanBytes formats n in decimal units, as registries and docker show sizes.
func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
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
