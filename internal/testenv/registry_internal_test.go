package testenv

import "testing"

func TestTagsDiff(t *testing.T) {
	tests := []struct {
		name      string
		want, got map[string]string
		diff      string
	}{
		{"same", map[string]string{"v1": "sha256:a"}, map[string]string{"v1": "sha256:a"}, ""},
		{"none", nil, map[string]string{}, ""},
		{"all new", nil, map[string]string{"v1": "sha256:a"}, "  + v1 (sha256:a)\n"},
		{"moved, added and removed, in tag order",
			map[string]string{"v1": "sha256:a", "v2": "sha256:b"},
			map[string]string{"v1": "sha256:c", "latest": "sha256:c"},
			"  + latest (sha256:c)\n  ~ v1: sha256:c, want sha256:a\n  - v2 (was sha256:b)\n"},
	}
	for _, tt := range tests {
		if got := tagsDiff(tt.want, tt.got); got != tt.diff {
			t.Errorf("%s: tagsDiff = %q, want %q", tt.name, got, tt.diff)
		}
	}
}
