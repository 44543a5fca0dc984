package tiers

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"golang.org/x/sync/errgroup"

	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/registry"
)

// pruner holds what one prune read from the registry.
type pruner struct {
	reg       *registry.Access
	tier      config.CacheTier
	finalTags []string
	patterns  []config.TierPattern
	tags      []foundTag
	stamps    map[string]bool // refs of the tier stamps found
	mu        sync.Mutex
	// manifests by repository and tag.
	manifests map[string]*manifestInfo
}

// foundTag is a tag in one of the cache repositories.
type foundTag struct {
	repo  name.Repository
	tag   string
	tiers []config.TierMatch // nil when it is no tier's
}

func (t foundTag) ref() string { return t.repo.Name() + ":" + t.tag }

// manifestInfo is what a tag points at.
type manifestInfo struct {
	digest      string
	blobs       map[string]int64 // config and layer blobs, children's included
	annotations map[string]string
	artifact    string
}

// read lists every tag of the patterns' repositories and reads its
// manifest: its digest, its blobs, and a stamp's time.
func (pr *pruner) read(ctx context.Context) error {
	final := map[string]bool{}
	for _, ref := range pr.finalTags {
		if tag, err := pr.reg.Tag(ref); err == nil {
			final[tag.Name()] = true
		}
	}
	seen := map[string]bool{}
	for _, pat := range pr.patterns {
		if seen[pat.Repository] {
			continue
		}
		seen[pat.Repository] = true
		repo, err := pr.reg.Repository(pat.Repository)
		if err != nil {
			return err
		}
		names, err := remote.List(repo, pr.reg.Remote(ctx)...)
		if err != nil && !isNameUnknown(err) {
			return fmt.Errorf("list the tags of %s: %w", repo, err)
		}
		for _, tag := range names {
			ft := foundTag{repo: repo, tag: tag}
			if !final[repo.Tag(tag).Name()] {
				ft.tiers = pr.match(pat.Repository, tag)
			}
			pr.tags = append(pr.tags, ft)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(pr.reg.Jobs())
	for _, t := range pr.tags {
		g.Go(func() error {
			info, err := pr.manifest(gctx, t.repo, t.repo.Tag(t.tag))
			if registry.IsNotFound(err) {
				return nil // deleted since the listing: nothing to keep or delete
			}
			if err != nil {
				return fmt.Errorf("read %s: %w", t.ref(), err)
			}
			pr.mu.Lock()
			pr.manifests[t.ref()] = info
			pr.mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	pr.tags = slices.DeleteFunc(pr.tags, func(t foundTag) bool { return pr.manifests[t.ref()] == nil })
	return nil
}

// match lists the tiers a tag of repo can be: those of the splits at a
// known stage or mount when any pattern has one, else of every split.
func (pr *pruner) match(repo, tag string) []config.TierMatch {
	var all, known []config.TierMatch
	for _, p := range pr.patterns {
		if p.Repository != repo {
			continue
		}
		matches, ok := p.Match(tag)
		for _, m := range matches {
			if ok && !slices.Contains(known, m) {
				known = append(known, m)
			}
			if !slices.Contains(all, m) {
				all = append(all, m)
			}
		}
	}
	if len(known) > 0 {
		return known
	}
	return all
}

// manifest reads a manifest and the blobs it references, those of an
// index's child manifests included.
func (pr *pruner) manifest(ctx context.Context, repo name.Repository, ref name.Reference) (*manifestInfo, error) {
	desc, err := remote.Get(ref, pr.reg.Remote(ctx)...)
	if err != nil {
		return nil, err
	}
	info := &manifestInfo{digest: desc.Digest.String(), blobs: map[string]int64{}}
	if desc.MediaType.IsIndex() {
		idx, err := v1.ParseIndexManifest(bytes.NewReader(desc.Manifest))
		if err != nil {
			return nil, err
		}
		info.annotations = idx.Annotations
		for _, child := range idx.Manifests {
			if !child.MediaType.IsImage() && !child.MediaType.IsIndex() {
				info.blobs[child.Digest.String()] = child.Size // a cache index lists blobs
				continue
			}
			sub, err := pr.manifest(ctx, repo, repo.Digest(child.Digest.String()))
			if err != nil {
				return nil, err
			}
			for d, size := range sub.blobs {
				info.blobs[d] = size
			}
		}
		return info, nil
	}
	m, err := v1.ParseManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		return nil, err
	}
	info.annotations, info.artifact = m.Annotations, m.ArtifactType
	info.blobs[m.Config.Digest.String()] = m.Config.Size
	for _, l := range m.Layers {
		info.blobs[l.Digest.String()] = l.Size
	}
	return info, nil
}

// delete deletes the tags of the tiers to delete, each tier's stamp last:
// a tier cut short keeps its stamp, and the next prune finds it again.
func (pr *pruner) delete(ctx context.Context, report *Report) error {
	keptDigests := map[string][]string{}
	doomed := map[string]bool{}
	for _, r := range report.Tiers {
		for _, ref := range r.Tags {
			doomed[ref] = true
		}
	}
	for _, t := range pr.tags {
		if !doomed[t.ref()] {
			d := t.repo.Name() + "@" + pr.manifests[t.ref()].digest
			keptDigests[d] = append(keptDigests[d], t.ref())
		}
	}
	var failed error
	for i := range report.Tiers {
		r := &report.Tiers[i]
		if r.Action != Delete {
			continue
		}
		if failed != nil {
			r.Action = NotDeleted
			continue
		}
		tags := slices.Clone(r.Tags)
		sort.SliceStable(tags, func(a, b int) bool { return !pr.stamps[tags[a]] && pr.stamps[tags[b]] })
		for _, ref := range tags {
			if err := pr.deleteTag(ctx, ref, keptDigests); err != nil {
				failed = err
				break
			}
			r.Deleted = append(r.Deleted, ref)
		}
		r.Action = Deleted
		if failed != nil {
			r.Action = NotDeleted
		}
	}
	return failed
}

// deleteTag deletes one tag: by tag, else (a registry without OCI 1.1 tag
// deletes) its manifest by digest, when no kept tag points at it.
func (pr *pruner) deleteTag(ctx context.Context, ref string, kept map[string][]string) error {
	tag, err := pr.reg.Tag(ref)
	if err != nil {
		return err
	}
	err = remote.Delete(tag, pr.reg.Remote(ctx)...)
	status, code := registry.Status(err)
	switch {
	case err == nil || status == http.StatusNotFound:
		return nil // a tag already gone is deleted enough
	case status != http.StatusMethodNotAllowed && status != http.StatusBadRequest && code != transport.UnsupportedErrorCode:
		return fmt.Errorf("delete %s: %w", ref, err)
	}
	byTag := fmt.Sprintf("it answered a delete of tag %s with %s", ref, registry.DescribeStatus(status, code))
	digest := tag.Context().Name() + "@" + pr.manifests[ref].digest
	if others := kept[digest]; len(others) > 0 {
		return fmt.Errorf("%w: %s; %s; its manifest cannot be deleted by digest instead: kept tags point at it too (%s)",
			ErrDeleteRefused, byTag, enableDeletes, strings.Join(others, ", "))
	}
	d, err := pr.reg.Reference(digest)
	if err != nil {
		return err
	}
	err = remote.Delete(d, pr.reg.Remote(ctx)...)
	status, code = registry.Status(err)
	switch {
	case err == nil || status == http.StatusNotFound:
		return nil
	case status == http.StatusMethodNotAllowed || code == transport.UnsupportedErrorCode:
		return fmt.Errorf("%w: %s, and a delete of its manifest %s with %s; %s",
			ErrDeleteRefused, byTag, digest, registry.DescribeStatus(status, code), enableDeletes)
	}
	return fmt.Errorf("delete %s: %w", digest, err)
}

// enableDeletes says what to do about a registry that refuses deletes.
const enableDeletes = "let it delete (distribution: storage.delete.enabled: true, or REGISTRY_STORAGE_DELETE_ENABLED=true) " +
	"or prune with the registry's own retention rules"

func isNameUnknown(err error) bool {
	_, code := registry.Status(err)
	return code == transport.NameUnknownErrorCode
}
