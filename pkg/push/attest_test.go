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

	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/push"
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

// TestCommitKeepsAnEquivalentIndex: a final tag whose index holds the same
// image and kinds of attestation as the staged one stays there, and the
// other tags staged to that index go there too; a new kind of attestation,
// or another image, moves the tag.
func TestCommitKeepsAnEquivalentIndex(t *testing.T) {
	const slsa, spdx = "https://slsa.dev/provenance/v1", "https://spdx.dev/Document"
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	other, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		staged func(repo string) string
		kept   bool
	}{
		{"new provenance", func(repo string) string { return attestedIndex(t, repo, img, "run 2", slsa) }, true},
		{"sbom added", func(repo string) string { return attestedIndex(t, repo, img, "run 2", slsa, spdx) }, false},
		{"another image", func(repo string) string { return attestedIndex(t, repo, other, "run 1", slsa) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := testenv.Repo(t)
			published := attestedIndex(t, repo, img, "run 1", slsa)
			if _, err := push.Commit(t.Context(), fast(t), []push.Move{{Tag: repo + ":v1", Digest: published, Kind: push.KindFinal}}); err != nil {
				t.Fatal(err)
			}
			staged := tt.staged(repo)
			moves := []push.Move{{Tag: repo + ":v1", Digest: staged, Kind: push.KindFinal}, {Tag: repo + ":latest", Digest: staged, Kind: push.KindFinal}}
			results, err := push.Commit(t.Context(), fast(t), moves)
			if err != nil {
				t.Fatal(err)
			}
			want, state := staged, push.Moved
			if tt.kept {
				want, state = published, push.Unchanged
			}
			tags := testenv.Tags(t, repo)
			if tags["v1"] != want || tags["latest"] != want {
				t.Errorf("v1 at %s, latest at %s; want both at %s (published %s, staged %s)", tags["v1"], tags["latest"], want, published, staged)
			}
			if results[0].State != state || results[0].Digest != want {
				t.Errorf("v1: %s at %s, want %s at %s", results[0].State, results[0].Digest, state, want)
			}
		})
	}
}
