package cairn

import "testing"

func TestAttestationType(t *testing.T) {
	tests := []struct{ predicate, want string }{
		{"https://slsa.dev/provenance/v0.2", "provenance"},
		{"https://slsa.dev/provenance/v1", "provenance"},
		{"https://spdx.dev/Document", "sbom"},
		{"https://cyclonedx.org/bom", "sbom"},
		{"https://example.com/vex", ""},
	}
	for _, tt := range tests {
		if got := attestationType(tt.predicate); got != tt.want {
			t.Errorf("attestationType(%q) = %q, want %q", tt.predicate, got, tt.want)
		}
	}
}
