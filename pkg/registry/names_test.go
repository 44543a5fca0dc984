package registry

import "testing"

// TestLookupReadsOldNames: what an older cairn wrote, under the names it
// used before the namespace, reads as what this one writes.
func TestLookupReadsOldNames(t *testing.T) {
	tests := []struct {
		name        string
		annotations map[string]string
		key, want   string
	}{
		{"base digests, now", map[string]string{"io.github.cairn-build.v1.base.digests": "new"}, KeyBaseDigests, "new"},
		{"base digests, old", map[string]string{"io.github.cairn-build.base.digests": "old"}, KeyBaseDigests, "old"},
		{"both: the new wins", map[string]string{"io.github.cairn-build.base.digests": "old", Annotation(KeyBaseDigests): "new"}, KeyBaseDigests, "new"},
		{"tier, old", map[string]string{"dev.cairn.cache.tier": "main"}, KeyTierName, "main"},
		{"branch, old", map[string]string{"dev.cairn.cache.branch": "feat/x"}, KeyTierBranch, "feat/x"},
		{"commit state, old", map[string]string{"org.cairn-build.commit.state": "done"}, KeyCommit + "state", "done"},
		{"commit state, now", map[string]string{"io.github.cairn-build.v1.commit.state": "moving"}, KeyCommit + "state", "moving"},
		{"absent", map[string]string{"org.cairn-build.commit.state": "done"}, KeyTierName, ""},
	}
	for _, tt := range tests {
		if got := Lookup(tt.annotations, tt.key); got != tt.want {
			t.Errorf("%s: Lookup(%q) = %q, want %q", tt.name, tt.key, got, tt.want)
		}
	}
}

func TestIsArtifactReadsOldTypes(t *testing.T) {
	tests := []struct {
		artifactType, kind string
		want               bool
	}{
		{"application/vnd.cairn-build.tier-stamp.v1", ArtifactTierStamp, true},
		{"application/vnd.cairn.cache.tier.v1", ArtifactTierStamp, true}, // an older cairn's
		{"application/vnd.cairn-build.commit.v1", ArtifactCommit, true},
		{"application/vnd.cairn-build.commit.v1", ArtifactTierStamp, false},
		{"application/vnd.cairn.cache.tier.v1", ArtifactCommit, false},
	}
	for _, tt := range tests {
		if got := IsArtifact(tt.artifactType, tt.kind); got != tt.want {
			t.Errorf("IsArtifact(%q, %q) = %v, want %v", tt.artifactType, tt.kind, got, tt.want)
		}
	}
}
