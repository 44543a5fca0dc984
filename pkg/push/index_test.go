package push_test

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// attestedIndex stages, by digest, an index of img and an attestation
// manifest about it with one statement per predicate type, as BuildKit
// exports them; each statement's content is content.
func attestedIndex(t *testing.T, repo string, img v1.Image, content string, predicates ...string) string {
	t.Helper()
	imgDigest, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	att := empty.Image
	for _, p := range predicates {
		layer := static.NewLayer([]byte(content+p), types.MediaType("application/vnd.in-toto+json"))
		if att, err = mutate.Append(att, mutate.Addendum{Layer: layer, Annotations: map[string]string{"in-toto.io/predicate-type": p}}); err != nil {
			t.Fatal(err)
		}
	}
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{
			Platform:    &v1.Platform{OS: "unknown", Architecture: "unknown"},
			Annotations: map[string]string{"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": imgDigest.String()},
		}})
	return writeIndex(t, repo, idx)
}

// stageIndex stages an index of two random images, and returns its
// digest and theirs.
func stageIndex(t *testing.T, repo string) (string, []string) {
	t.Helper()
	idx := v1.ImageIndex(empty.Index)
	var images []string
	for _, arch := range []string{"amd64", "arm64"} {
		img, err := random.Image(64, 1)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := img.Digest()
		images = append(images, d.String())
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	return writeIndex(t, repo, idx), images
}

// writeIndex stages idx in repo by digest and returns the digest.
func writeIndex(t *testing.T, repo string, idx v1.ImageIndex) string {
	t.Helper()
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewDigest(repo+"@"+d.String(), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatal(err)
	}
	return d.String()
}
