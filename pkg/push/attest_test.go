package push_test

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/push"
)

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
