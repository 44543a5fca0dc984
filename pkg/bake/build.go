package bake

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/planner"
)

// Build is a target as cairn builds and publishes it: the overrides that
// describe it to cairn.Load with cairn's defaults (per-stage inline cache
// under its repository, the first tag's), and the targets it reads as
// named build contexts (contexts = { NAME = "target:OTHER" }).
type Build struct {
	Target    *Target
	Overrides config.Overrides
	// Stage is the stage the target's image is: bake's target, else the
	// Dockerfile's last (build.yaml's bake: policy applies to it).
	Stage string
	// Links map a named context to the target whose image it is: built
	// before this one, and passed to it by digest.
	Links map[string]string
}

// Builds are the targets cairn builds for a bake or publish, each linked
// target before the targets that read it, then the others in name order.
// A linked target without tags is staged under the repository of the
// first target that reads it (its caches tagged cache-NAME-STAGE there).
// It fails, before anything is built, on a target cairn cannot build (a
// remote context, an inline Dockerfile) and on a tag two targets publish.
func (p *Project) Builds() ([]Build, error) {
	if err := p.checkContexts(); err != nil {
		return nil, err
	}
	if err := p.distinctTags(); err != nil {
		return nil, err
	}
	byName := map[string]*Target{}
	for _, t := range p.Targets {
		byName[t.Name] = t
	}
	var out []Build
	placed := map[string]bool{}
	var place func(t *Target, repo string, path []string) error
	place = func(t *Target, repo string, path []string) error {
		if placed[t.Name] {
			return nil
		}
		if slices.Contains(path, t.Name) {
			return fmt.Errorf("targets %s read each other as build contexts", strings.Join(append(path, t.Name), " → "))
		}
		b, err := t.build(repo)
		if err != nil {
			return err
		}
		for _, name := range sortedKeys(b.Links) {
			other, ok := byName[b.Links[name]]
			if !ok {
				return fmt.Errorf("target %s: context %s: no target %s", t.Name, name, b.Links[name])
			}
			if err := place(other, b.Overrides.Repository, append(path, t.Name)); err != nil {
				return err
			}
		}
		placed[t.Name] = true
		out = append(out, b)
		return nil
	}
	linked := map[string]bool{}
	for _, t := range p.Targets {
		for _, v := range t.Contexts {
			if other, ok := strings.CutPrefix(v, "target:"); ok {
				linked[other] = true
			}
		}
	}
	// Those that read others first: a linked target takes its repository
	// from the first of them.
	for _, pass := range []bool{false, true} {
		for _, t := range p.Targets {
			if linked[t.Name] != pass {
				continue
			}
			if err := place(t, "", nil); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// overrides are what both a plan and a build of the target take from it:
// its Dockerfile, context, stage, repository, args, platforms, tags and
// cache refs.
func (t *Target) overrides() config.Overrides {
	o := config.Overrides{
		Dockerfile: t.Dockerfile, Context: t.Context, Repository: t.Repository,
		Args: t.Args, Platforms: t.Platforms, Tags: t.Tags, CacheFrom: t.CacheFrom, CacheTo: t.CacheTo,
	}
	if t.Stage != "" {
		o.Targets = []string{t.Stage}
	}
	return o
}

// build maps the target to cairn's overrides; repo is the repository of a
// linked target that has no tags of its own ("" for none).
func (t *Target) build(repo string) (Build, error) {
	switch {
	case t.Remote():
		return Build{}, fmt.Errorf("target %s: context %s is remote: cairn builds only local contexts", t.Name, t.Context)
	case t.DockerfileInline != "":
		return Build{}, fmt.Errorf("target %s: dockerfile-inline: cairn builds a Dockerfile it can read from a file: write it to one", t.Name)
	}
	o := t.overrides()
	o.Docker = config.DockerFlags{Network: t.Network, NoCache: t.NoCache, Pull: t.Pull, Annotations: t.Annotations}
	if o.Repository == "" && repo != "" {
		o.Repository, o.CacheRef = repo, "{repository}:cache-"+t.Name+"-{stage}"
	}
	for _, k := range sortedKeys(t.Labels) {
		o.Docker.Labels = append(o.Docker.Labels, k+"="+t.Labels[k])
	}
	for _, s := range t.Secrets {
		v := "id=" + s.ID
		switch {
		case s.Src != "":
			v += ",src=" + s.Src
		case s.Env != "":
			v += ",env=" + s.Env
		}
		o.Docker.Secrets = append(o.Docker.Secrets, v)
	}
	for _, s := range t.SSH {
		v := s.ID
		if len(s.Paths) > 0 {
			v += "=" + strings.Join(s.Paths, ",")
		}
		o.Docker.SSH = append(o.Docker.SSH, v)
	}
	for _, out := range t.Outputs {
		// registry and image outputs are what cairn's commit does; cacheonly
		// (buildx's default for a target without tags) is what it does without.
		if !slices.ContainsFunc([]string{"registry", "image", "cacheonly"}, func(typ string) bool { return strings.Contains(out, "type="+typ) }) {
			o.Docker.Outputs = append(o.Docker.Outputs, out)
		}
	}
	links := map[string]string{}
	for _, name := range sortedKeys(t.Contexts) {
		v := t.Contexts[name]
		if other, ok := strings.CutPrefix(v, "target:"); ok {
			links[name] = other
			continue
		}
		if dir, ok := localContext(v); ok {
			v = dir
		}
		o.Docker.BuildContexts = append(o.Docker.BuildContexts, name+"="+v)
	}
	b := Build{Target: t, Overrides: o, Links: links, Stage: t.Stage}
	if b.Stage == "" {
		dt, name, err := t.readDockerfile()
		if err != nil {
			return Build{}, err
		}
		plan, err := planner.New(dt, planner.Options{Filename: name})
		if err != nil {
			return Build{}, fmt.Errorf("target %s: %w", t.Name, err)
		}
		b.Stage = plan.Targets[len(plan.Targets)-1].Name
	}
	return b, nil
}

// distinctTags fails on a tag two targets publish: each would move it to
// its own image.
func (p *Project) distinctTags() error {
	owner := map[string]string{}
	for _, t := range p.Targets {
		for _, tag := range t.Tags {
			if other, ok := owner[tag]; ok && other != t.Name {
				names := []string{other, t.Name}
				sort.Strings(names)
				return &DuplicateTagError{Tag: tag, Targets: names}
			}
			owner[tag] = t.Name
		}
	}
	return nil
}

// DuplicateTagError is a tag two targets publish.
type DuplicateTagError struct {
	Tag     string
	Targets []string
}

func (e *DuplicateTagError) Error() string {
	return fmt.Sprintf("targets %s both publish %s: two images cannot have one tag; give each its own", strings.Join(e.Targets, " and "), e.Tag)
}
