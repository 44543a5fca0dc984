package bake

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/distribution/reference"
	bx "github.com/docker/buildx/bake"
	"github.com/docker/buildx/util/urlutil"
)

// Target is one resolved bake target, in cairn's terms. Paths are as
// buildx resolves them: relative to the working directory.
type Target struct {
	Name string `json:"name"`
	// Context is the build context: a directory, or a remote URL (git,
	// https) that BuildKit fetches.
	Context string `json:"context"`
	// Dockerfile is the Dockerfile's path: joined to a local Context, as
	// buildx does, else inside the remote one. DockerfileInline, when set,
	// is the Dockerfile itself and Dockerfile is unused.
	Dockerfile       string `json:"dockerfile"`
	DockerfileInline string `json:"dockerfileInline,omitempty"`
	// Stage is the target stage ("" is the last), bake's `target`.
	Stage     string            `json:"stage,omitempty"`
	Args      map[string]string `json:"args,omitempty"`
	Platforms []string          `json:"platforms,omitempty"`
	// Tags are the target's tags as normalized references
	// (registry.example.com/api:v1, myapp:latest).
	Tags []string `json:"tags,omitempty"`
	// Repository is the first tag's repository ("" without tags): cairn's
	// per-stage cache refs go under it.
	Repository  string            `json:"repository,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations []string          `json:"annotations,omitempty"`
	Secrets     []Secret          `json:"secrets,omitempty"`
	SSH         []SSH             `json:"ssh,omitempty"`
	Network     string            `json:"network,omitempty"`
	NoCache     bool              `json:"noCache,omitempty"`
	Pull        bool              `json:"pull,omitempty"`
	// Outputs, CacheFrom and CacheTo are buildx's CSV forms
	// (type=registry,ref=…).
	Outputs   []string `json:"outputs,omitempty"`
	CacheFrom []string `json:"cacheFrom,omitempty"`
	CacheTo   []string `json:"cacheTo,omitempty"`
	// Contexts are the named build contexts: NAME → a directory, a URL,
	// docker-image://REF or target:OTHER (another bake target's result).
	Contexts map[string]string `json:"contexts,omitempty"`
}

// Secret is a secret's ID and where its value comes from; the value
// itself is never read here.
type Secret struct {
	ID  string `json:"id"`
	Src string `json:"src,omitempty"` // a file
	Env string `json:"env,omitempty"` // an environment variable
}

// SSH is an SSH agent socket or keys forwarded to RUN --mount=type=ssh.
type SSH struct {
	ID    string   `json:"id"`
	Paths []string `json:"paths,omitempty"`
}

// Remote reports whether the context is a URL BuildKit fetches.
func (t *Target) Remote() bool { return urlutil.IsRemoteURL(t.Context) }

func newTarget(name string, bt *bx.Target) (*Target, error) {
	t := &Target{
		Name:        name,
		Context:     deref(bt.Context, "."),
		Stage:       deref(bt.Target, ""),
		Args:        values(bt.Args),
		Labels:      values(bt.Labels),
		Platforms:   bt.Platforms,
		Annotations: bt.Annotations,
		Network:     deref(bt.NetworkMode, ""),
		NoCache:     bt.NoCache != nil && *bt.NoCache,
		Pull:        bt.Pull != nil && *bt.Pull,
		Contexts:    bt.Contexts,
	}
	t.Dockerfile = dockerfilePath(t.Context, deref(bt.Dockerfile, "Dockerfile"))
	if bt.DockerfileInline != nil {
		t.DockerfileInline = *bt.DockerfileInline
	}
	for _, s := range bt.Secrets {
		t.Secrets = append(t.Secrets, Secret{ID: s.ID, Src: s.FilePath, Env: s.Env})
	}
	for _, s := range bt.SSH {
		t.SSH = append(t.SSH, SSH{ID: s.ID, Paths: s.Paths})
	}
	for _, o := range bt.Outputs {
		t.Outputs = append(t.Outputs, o.String())
	}
	for _, c := range bt.CacheFrom {
		t.CacheFrom = append(t.CacheFrom, c.String())
	}
	for _, c := range bt.CacheTo {
		t.CacheTo = append(t.CacheTo, c.String())
	}
	if err := t.setTags(bt.Tags); err != nil {
		return nil, err
	}
	return t, nil
}

// dockerfilePath resolves the Dockerfile as buildx's toBuildOpt does: a
// cwd:// path is the working directory's, else a relative path is inside
// a local context.
func dockerfilePath(context, dockerfile string) string {
	if v, ok := strings.CutPrefix(dockerfile, "cwd://"); ok {
		if abs, err := filepath.Abs(filepath.Clean(v)); err == nil {
			return abs
		}
		return filepath.Clean(v)
	}
	dockerfile = filepath.Clean(dockerfile)
	if urlutil.IsRemoteURL(context) || urlutil.IsRemoteURL(dockerfile) || filepath.IsAbs(dockerfile) {
		return dockerfile
	}
	return filepath.Join(context, dockerfile)
}

// setTags normalizes the tags as docker does (myapp is myapp:latest) and
// takes the repository from the first.
func (t *Target) setTags(tags []string) error {
	for i, tag := range tags {
		named, err := reference.ParseNormalizedNamed(tag)
		if err != nil {
			return fmt.Errorf("target %s: tag %q: %w", t.Name, tag, err)
		}
		if _, ok := named.(reference.Digested); ok {
			return fmt.Errorf("target %s: tag %q: a digest cannot be a tag", t.Name, tag)
		}
		t.Tags = append(t.Tags, reference.FamiliarString(reference.TagNameOnly(named)))
		if i == 0 {
			t.Repository = reference.FamiliarName(named)
		}
	}
	return nil
}

// checkContexts fails on a target's local context, main or named, that is
// not a directory: buildx would only find out when it builds. --print does
// not check, as buildx's does not: a bake file's contexts may be absent
// where it is only read.
func (p *Project) checkContexts() error {
	for _, t := range p.Targets {
		if err := t.checkContexts(); err != nil {
			return err
		}
	}
	return nil
}

func (t *Target) checkContexts() error {
	check := func(dir string) error {
		info, err := os.Stat(dir)
		switch {
		case err != nil:
			return &ContextError{Target: t.Name, Context: dir, Err: err}
		case !info.IsDir():
			return &ContextError{Target: t.Name, Context: dir, Err: fmt.Errorf("not a directory")}
		}
		return nil
	}
	if !t.Remote() {
		if err := check(t.Context); err != nil {
			return err
		}
	}
	for _, name := range sortedKeys(t.Contexts) {
		if dir, ok := localContext(t.Contexts[name]); ok {
			if err := check(dir); err != nil {
				return err
			}
		}
	}
	return nil
}

// localContext is the directory of a named context that is one.
func localContext(v string) (string, bool) {
	for _, prefix := range []string{"target:", "docker-image://", "oci-layout://"} {
		if strings.HasPrefix(v, prefix) {
			return "", false
		}
	}
	if urlutil.IsRemoteURL(v) {
		return "", false
	}
	return filepath.Clean(strings.TrimPrefix(v, "cwd://")), true
}

func deref(p *string, def string) string {
	if p == nil {
		return def
	}
	return *p
}

// values drops the nil values bake keeps for args and labels that are
// declared without one.
func values(m map[string]*string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if v != nil {
			out[k] = *v
		}
	}
	return out
}
