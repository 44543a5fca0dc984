package push

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"golang.org/x/sync/errgroup"

	"github.com/cairn-build/cairn/pkg/registry"
)

// putTogether moves each group of tags that point at one manifest in one
// repository with one request, the distribution-spec v1.1 multi-tag put
// (PUT /v2/<name>/manifests/<digest>?tag=a&tag=b), so that a reader sees
// all of them move at once. A registry that supports it lists the tags it
// put in OCI-Tag headers; one that does not (distribution v3.1.2's ignores
// the query) puts the manifest by digest only, which changes nothing, or
// refuses. The tags it did not list are left pending, to move one by one.
func (c *commit) putTogether(ctx context.Context, tags []*tagMove) {
	var (
		order  []string
		groups = map[string][]*tagMove{}
	)
	for _, t := range tags {
		key := t.tag.Context().Name() + "@" + t.Digest
		if groups[key] == nil {
			order = append(order, key)
		}
		groups[key] = append(groups[key], t)
	}
	var g errgroup.Group
	g.SetLimit(c.reg.Jobs())
	for _, key := range order {
		if group := groups[key]; len(group) > 1 {
			g.Go(func() error { c.putGroup(ctx, group); return nil })
		}
	}
	_ = g.Wait() // putGroup leaves the tags it could not put pending
}

func (c *commit) putGroup(ctx context.Context, group []*tagMove) {
	repo := group[0].tag.Context()
	if _, no := c.noMulti.Load(repo.RegistryStr()); no || ctx.Err() != nil {
		return
	}
	tags := make([]string, len(group))
	for i, t := range group {
		tags[i] = t.tag.TagStr()
	}
	put, err := putTags(ctx, c.reg, repo, group[0].staged, tags)
	if err != nil || len(put) == 0 {
		c.noMulti.Store(repo.RegistryStr(), true) // one by one from now on
		return
	}
	for _, t := range group {
		if put[t.tag.TagStr()] {
			t.result.State = Moved
		}
	}
}

// putTags puts desc by digest with a tag parameter per tag, and returns the
// tags the registry says it put.
func putTags(ctx context.Context, reg *registry.Access, repo name.Repository, desc *remote.Descriptor, tags []string) (map[string]bool, error) {
	rt, err := reg.Transport(ctx, repo, repo.Scope(transport.PushScope))
	if err != nil {
		return nil, err
	}
	u := url.URL{
		Scheme:   repo.Scheme(),
		Host:     repo.RegistryStr(),
		Path:     fmt.Sprintf("/v2/%s/manifests/%s", repo.RepositoryStr(), desc.Digest),
		RawQuery: url.Values{"tag": tags}.Encode(),
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u.String(), bytes.NewReader(desc.Manifest))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", string(desc.MediaType))
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if err := transport.CheckError(resp, http.StatusCreated); err != nil {
		return nil, err
	}
	put := map[string]bool{}
	for _, v := range resp.Header.Values("OCI-Tag") {
		for _, tag := range strings.Split(v, ",") {
			put[strings.TrimSpace(tag)] = true
		}
	}
	return put, nil
}
