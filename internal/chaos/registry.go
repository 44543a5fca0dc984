package chaos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// recordTag and recordState are where cairn's commit record is, and the
// annotation of its state (pkg/push/record.go): read here as a user of the
// registry would, not through cairn's code.
const (
	recordTag   = "cairn-commit"
	recordState = "org.cairn-build.commit.state"
)

// snapshot is what the registry holds after a run, read past the proxy.
type snapshot struct {
	finals   map[string]string // "chaos/api:latest" → digest; missing when the tag is
	runs     map[string]string // final tag → the run its image's label names
	records  map[string]string // repository → its commit record's state
	problems []string          // tags that do not resolve to complete images; secrets in configs
}

// reader reads the registry directly, with the login.
type reader struct {
	e    *env
	opts []remote.Option
}

func (e *env) read(ctx context.Context) (*snapshot, error) {
	rd := &reader{e: e, opts: []remote.Option{remote.WithContext(ctx), remote.WithAuth(&authn.Basic{Username: user, Password: e.password})}}
	s := &snapshot{finals: map[string]string{}, runs: map[string]string{}, records: map[string]string{}}
	for _, path := range repositories {
		repo, err := name.NewRepository(e.registry.Addr+"/"+path, name.Insecure)
		if err != nil {
			return nil, err
		}
		if err := rd.repository(ctx, s, repo, path); err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
	}
	return s, nil
}

func (rd *reader) repository(ctx context.Context, s *snapshot, repo name.Repository, path string) error {
	tags, err := remote.List(repo, rd.opts...)
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	for _, tag := range tags {
		desc, err := remote.Get(repo.Tag(tag), rd.opts...)
		if err != nil {
			s.problems = append(s.problems, fmt.Sprintf("%s:%s does not resolve: %v", path, tag, err))
			continue
		}
		for _, missing := range rd.complete(ctx, repo, desc.Descriptor, desc.Manifest) {
			s.problems = append(s.problems, fmt.Sprintf("%s:%s (%s): %s", path, tag, desc.Digest, missing))
		}
		switch {
		case tag == recordTag:
			s.records[path] = recordStateOf(desc.Manifest)
		case isFinal(path, tag):
			s.finals[path+":"+tag] = desc.Digest.String()
			run, problem := rd.runOf(desc)
			s.runs[path+":"+tag] = run
			if problem != "" {
				s.problems = append(s.problems, fmt.Sprintf("%s:%s: %s", path, tag, problem))
			}
		}
	}
	return nil
}

func isFinal(path, tag string) bool {
	for _, t := range finalTags[path] {
		if t == tag {
			return true
		}
	}
	return false
}

// complete lists what the manifest refers to that the registry lacks: child
// manifests of an index, config and layer blobs of an image.
func (rd *reader) complete(ctx context.Context, repo name.Repository, desc v1.Descriptor, raw []byte) []string {
	if desc.MediaType.IsIndex() {
		index, err := v1.ParseIndexManifest(strings.NewReader(string(raw)))
		if err != nil {
			return []string{"index: " + err.Error()}
		}
		var missing []string
		for _, child := range index.Manifests {
			if !child.MediaType.IsImage() && !child.MediaType.IsIndex() {
				missing = append(missing, rd.blobMissing(ctx, repo, child.Digest)...)
				continue
			}
			got, err := remote.Get(repo.Digest(child.Digest.String()), rd.opts...)
			if err != nil {
				missing = append(missing, fmt.Sprintf("child manifest %s: %v", child.Digest, err))
				continue
			}
			missing = append(missing, rd.complete(ctx, repo, got.Descriptor, got.Manifest)...)
		}
		return missing
	}
	m, err := v1.ParseManifest(strings.NewReader(string(raw)))
	if err != nil {
		return []string{"manifest: " + err.Error()}
	}
	missing := rd.blobMissing(ctx, repo, m.Config.Digest)
	for _, l := range m.Layers {
		if len(l.URLs) == 0 {
			missing = append(missing, rd.blobMissing(ctx, repo, l.Digest)...)
		}
	}
	return missing
}

// blobMissing HEADs a blob: nothing when it is there.
func (rd *reader) blobMissing(ctx context.Context, repo name.Repository, digest v1.Hash) []string {
	url := fmt.Sprintf("http://%s/v2/%s/blobs/%s", rd.e.registry.Addr, repo.RepositoryStr(), digest)
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, url, nil)
	if err != nil {
		return []string{err.Error()}
	}
	req.SetBasicAuth(user, rd.e.password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return []string{fmt.Sprintf("blob %s: %v", digest, err)}
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return []string{fmt.Sprintf("blob %s: %s", digest, resp.Status)}
	}
	return nil
}

// runOf reads the run label of a final image, and says what is wrong with
// its config: no label, or the build secret in it.
func (rd *reader) runOf(desc *remote.Descriptor) (string, string) {
	img, err := desc.Image()
	if err != nil {
		return "", "image: " + err.Error()
	}
	raw, err := img.RawConfigFile()
	if err != nil {
		return "", "config: " + err.Error()
	}
	if strings.Contains(string(raw), rd.e.token) {
		return "", "the build secret is in the image config"
	}
	var cfg v1.ConfigFile
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return "", "config: " + err.Error()
	}
	run := cfg.Config.Labels[runLabel]
	if run == "" {
		return "", "no " + runLabel + " label"
	}
	return run, ""
}

func recordStateOf(raw []byte) string {
	var m struct{ Annotations map[string]string }
	if err := json.Unmarshal(raw, &m); err != nil {
		return "unreadable: " + err.Error()
	}
	return m.Annotations[recordState]
}
