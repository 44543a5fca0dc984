package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// ReferrersTag is the referrers fallback tag of the manifest digest, the
// distribution-spec's referrers tag schema: sha256:<hex> is sha256-<hex>.
// A registry without the referrers API lists a manifest's referrers in
// the image index under that tag.
func ReferrersTag(digest string) string { return strings.Replace(digest, ":", "-", 1) }

// Referrers are the referrers of a manifest, as the registry lists them.
type Referrers struct {
	// Index lists them: the referrers API's answer, or the fallback tag's
	// index (empty when the tag does not exist).
	Index ocispecs.Index
	// API is a registry with the referrers API: it lists a referrer as soon
	// as it is put, and there is no fallback tag to move.
	API bool
	// Fallback is the digest of the fallback tag's index; "" when the tag
	// does not exist (or API).
	Fallback string
}

// ReadReferrers lists the referrers of repo@dgst: from the referrers API
// where the registry has one, else from the fallback tag (ReferrersTag).
func (a *Access) ReadReferrers(ctx context.Context, repo name.Repository, dgst string) (*Referrers, error) {
	resp, err := a.request(ctx, repo, transport.PullScope, http.MethodGet, "referrers/"+dgst, ocispecs.MediaTypeImageIndex, nil)
	if err != nil {
		return nil, fmt.Errorf("list the referrers of %s: %w", dgst, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK && resp.Header.Get("Content-Type") == ocispecs.MediaTypeImageIndex {
		r := &Referrers{API: true}
		return r, json.NewDecoder(io.LimitReader(resp.Body, maxManifest)).Decode(&r.Index)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	if err := transport.CheckError(resp, http.StatusOK, http.StatusNotFound, http.StatusBadRequest, http.StatusNotAcceptable); err != nil {
		return nil, fmt.Errorf("list the referrers of %s: %w", dgst, err)
	}
	r := &Referrers{Index: emptyIndex()}
	tag := repo.Tag(ReferrersTag(dgst))
	desc, err := remote.Get(tag, a.Remote(ctx)...)
	switch {
	case IsNotFound(err):
		return r, nil
	case err != nil:
		return nil, fmt.Errorf("read the referrers tag %s: %w", tag, err)
	}
	if err := json.Unmarshal(desc.Manifest, &r.Index); err != nil || r.Index.MediaType != ocispecs.MediaTypeImageIndex {
		return nil, fmt.Errorf("the referrers tag %s is not an OCI image index (a tag of that name is the referrers list's)", tag)
	}
	r.Fallback = desc.Digest.String()
	return r, nil
}

func emptyIndex() ocispecs.Index {
	return ocispecs.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispecs.MediaTypeImageIndex, Manifests: []ocispecs.Descriptor{}}
}

// MergeReferrers is idx with each of add it does not list yet (by digest)
// appended: what is listed stays, in its order. It reports whether it
// added any.
func MergeReferrers(idx ocispecs.Index, add ...ocispecs.Descriptor) (ocispecs.Index, bool) {
	merged := idx
	merged.Manifests = append([]ocispecs.Descriptor{}, idx.Manifests...)
	added := false
	for _, d := range add {
		listed := false
		for _, m := range merged.Manifests {
			listed = listed || m.Digest == d.Digest
		}
		if !listed {
			merged.Manifests = append(merged.Manifests, d)
			added = true
		}
	}
	return merged, added
}

// Referrer is an artifact about a subject manifest: one layer, data, of
// mediaType, under the artifact type (OCI 1.1's form, which cosign writes
// its bundles in).
type Referrer struct {
	Subject      ocispecs.Descriptor
	ArtifactType string
	MediaType    string // the layer's
	Data         []byte
	Annotations  map[string]string
}

// PutReferrer uploads r by digest to repo: the empty config, its layer and
// its manifest. It returns the descriptor a referrers list holds it by,
// and whether the registry listed it itself (it answered the put with
// OCI-Subject: it has the referrers API). Unlike ggcr's remote.Put, it
// moves no fallback tag: that is a tag, which only a commit moves.
func (a *Access) PutReferrer(ctx context.Context, repo name.Repository, r Referrer) (ocispecs.Descriptor, bool, error) {
	if err := a.WriteEmptyBlob(ctx, repo); err != nil {
		return ocispecs.Descriptor{}, false, err
	}
	layer := ocispecs.Descriptor{MediaType: r.MediaType, Digest: digest.FromBytes(r.Data), Size: int64(len(r.Data))}
	if err := remote.WriteLayer(repo, static.NewLayer(r.Data, types.MediaType(r.MediaType)), a.Remote(ctx)...); err != nil {
		return ocispecs.Descriptor{}, false, fmt.Errorf("upload %s to %s: %w", layer.Digest, repo, err)
	}
	config := ocispecs.DescriptorEmptyJSON
	config.Data = nil // inline data is new in OCI 1.1: registries may refuse it
	subject := ocispecs.Descriptor{MediaType: r.Subject.MediaType, Digest: r.Subject.Digest, Size: r.Subject.Size}
	data, err := json.Marshal(ocispecs.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispecs.MediaTypeImageManifest, ArtifactType: r.ArtifactType,
		Config: config, Layers: []ocispecs.Descriptor{layer}, Subject: &subject, Annotations: r.Annotations,
	})
	if err != nil {
		return ocispecs.Descriptor{}, false, err
	}
	desc := ocispecs.Descriptor{MediaType: ocispecs.MediaTypeImageManifest, ArtifactType: r.ArtifactType, Digest: digest.FromBytes(data), Size: int64(len(data)), Annotations: r.Annotations}
	listed, err := a.putManifest(ctx, repo, desc, data)
	if err != nil {
		return ocispecs.Descriptor{}, false, fmt.Errorf("put the referrer %s of %s in %s: %w", desc.Digest, r.Subject.Digest, repo, err)
	}
	return desc, listed, nil
}

// putManifest puts data by digest, retried as ggcr retries, and reports
// whether the registry answered with OCI-Subject.
func (a *Access) putManifest(ctx context.Context, repo name.Repository, desc ocispecs.Descriptor, data []byte) (bool, error) {
	resp, err := a.request(ctx, repo, transport.PushScope, http.MethodPut, "manifests/"+desc.Digest.String(), desc.MediaType, data)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if err := transport.CheckError(resp, http.StatusCreated, http.StatusOK); err != nil {
		return false, err
	}
	return resp.Header.Get("OCI-Subject") != "", nil
}

// request sends method to /v2/<repo>/<path> (a GET's Accept, or a
// body's Content-Type, is mediaType), again after the Access's backoff
// while it fails to connect or is answered with a retried status: for
// the requests ggcr's remote has no call for.
func (a *Access) request(ctx context.Context, repo name.Repository, scope, method, path, mediaType string, body []byte) (*http.Response, error) {
	rt, err := a.Transport(ctx, repo, repo.Scope(scope))
	if err != nil {
		return nil, err
	}
	u := url.URL{Scheme: repo.Scheme(), Host: repo.RegistryStr(), Path: fmt.Sprintf("/v2/%s/%s", repo.RepositoryStr(), path)}
	c := &http.Client{Transport: rt}
	backoff := a.o.backoff
	for {
		req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		if body != nil {
			req.Header.Set("Content-Type", mediaType)
		} else {
			req.Header.Set("Accept", mediaType)
		}
		resp, err := c.Do(req)
		retried := err != nil && ctx.Err() == nil
		if err == nil {
			retried = slices.Contains(a.o.retryCodes, resp.StatusCode)
		}
		if !retried || backoff.Steps <= 1 {
			return resp, err
		}
		if resp != nil {
			resp.Body.Close()
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(backoff.Step()):
		}
	}
}

// maxManifest bounds the manifests and signature blobs read: a sigstore
// bundle or a referrers list is kilobytes.
const maxManifest = 4 << 20

// ReadLayer is the content of the one layer of the artifact repo@dgst,
// and its descriptor in the manifest.
func (a *Access) ReadLayer(ctx context.Context, repo name.Repository, dgst string) (ocispecs.Descriptor, []byte, error) {
	desc, err := remote.Get(repo.Digest(dgst), a.Remote(ctx)...)
	if err != nil {
		return ocispecs.Descriptor{}, nil, fmt.Errorf("read %s: %w", dgst, err)
	}
	var m ocispecs.Manifest
	if err := json.Unmarshal(desc.Manifest, &m); err != nil || len(m.Layers) != 1 {
		return ocispecs.Descriptor{}, nil, fmt.Errorf("%s: not an artifact with one layer", dgst)
	}
	data, err := a.readBlob(ctx, repo, m.Layers[0])
	return m.Layers[0], data, err
}

func (a *Access) readBlob(ctx context.Context, repo name.Repository, d ocispecs.Descriptor) ([]byte, error) {
	if d.Size > maxManifest {
		return nil, fmt.Errorf("blob %s: %d bytes, more than a signature's %d", d.Digest, d.Size, maxManifest)
	}
	l, err := remote.Layer(repo.Digest(d.Digest.String()), a.Remote(ctx)...)
	if err != nil {
		return nil, err
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", d.Digest, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxManifest))
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", d.Digest, err)
	}
	if digest.FromBytes(data) != d.Digest {
		return nil, errors.New("blob " + d.Digest.String() + ": content does not match its digest")
	}
	return data, nil
}

// PutIndex puts the image index by digest in repo (an index has no
// subject: nothing else moves), and returns its descriptor.
func (a *Access) PutIndex(ctx context.Context, repo name.Repository, idx ocispecs.Index) (ocispecs.Descriptor, error) {
	data, err := json.Marshal(idx)
	if err != nil {
		return ocispecs.Descriptor{}, err
	}
	desc := ocispecs.Descriptor{MediaType: ocispecs.MediaTypeImageIndex, Digest: digest.FromBytes(data), Size: int64(len(data))}
	if _, err := a.putManifest(ctx, repo, desc, data); err != nil {
		return ocispecs.Descriptor{}, fmt.Errorf("put the index %s in %s: %w", desc.Digest, repo, err)
	}
	return desc, nil
}
