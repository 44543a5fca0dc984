package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestRegistryMirrors(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		flags []string
		want  map[string][]string
		err   string
	}{
		{"none", "", nil, map[string][]string{}, ""},
		{"file", "registryMirrors:\n  docker.io: [mirror.gcr.io, 127.0.0.1:5000]\n", nil,
			map[string][]string{"docker.io": {"mirror.gcr.io", "127.0.0.1:5000"}}, ""},
		{"flags after the file; a bare mirror is docker.io's", "registryMirrors:\n  docker.io: [mirror.gcr.io]\n",
			[]string{"127.0.0.1:5000", "ghcr.io=ghcr-mirror.internal:443"},
			map[string][]string{"docker.io": {"mirror.gcr.io", "127.0.0.1:5000"}, "ghcr.io": {"ghcr-mirror.internal:443"}}, ""},
		{"a scheme in the file", "registryMirrors:\n  docker.io: [\"https://mirror.gcr.io\"]\n", nil, nil,
			`build.yaml:3: registryMirrors.docker.io[0]: "https://mirror.gcr.io" is not a registry host[:port]`},
		{"a path in the flag", "", []string{"docker.io=mirror.example.com/hub"}, nil,
			`Overrides.RegistryMirrors "docker.io=mirror.example.com/hub": want [REGISTRY=]MIRROR`},
		{"an empty registry", "", []string{"=mirror.example.com"}, nil, `Overrides.RegistryMirrors "=mirror.example.com"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("build.yaml", []byte("version: 1\n"+tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			b, err := f.Resolve(Overrides{RegistryMirrors: tt.flags}, env(nil))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(b.RegistryMirrors, tt.want) {
				t.Errorf("mirrors = %v, want %v", b.RegistryMirrors, tt.want)
			}
		})
	}
}
