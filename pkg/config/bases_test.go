package config

import (
	"strings"
	"testing"
)

func TestRefreshBases(t *testing.T) {
	on, off := true, false
	tests := []struct {
		name string
		yaml string
		flag *bool
		want bool
	}{
		{"on by default", "version: 1\n", nil, true},
		{"build.yaml turns it off", "version: 1\nbaseImages: {refresh: false}\n", nil, false},
		{"build.yaml on", "version: 1\nbaseImages:\n  refresh: true\n", nil, true},
		{"the flag beats build.yaml", "version: 1\nbaseImages: {refresh: false}\n", &on, true},
		{"the flag turns it off", "version: 1\n", &off, false},
		{"an empty mapping keeps the default", "version: 1\nbaseImages:\n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := resolve(t, tt.yaml, Overrides{RefreshBases: tt.flag}, nil)
			if b.RefreshBases != tt.want {
				t.Errorf("RefreshBases = %v, want %v", b.RefreshBases, tt.want)
			}
		})
	}
}

func TestBaseImagesErrors(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"version: 1\nbaseImages:\n  refrsh: false\n", `build.yaml:3: baseImages.refrsh: unknown field (did you mean "refresh"?)`},
		{"version: 1\nbaseImages: {refresh: sometimes}\n", `build.yaml:2: baseImages.refresh: want`},
		{"version: 1\nbaseImages: false\n", `build.yaml:2: baseImages: want a mapping`},
	}
	for _, tt := range tests {
		_, err := Parse("build.yaml", []byte(tt.yaml))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.yaml, err, tt.want)
		}
	}
}
