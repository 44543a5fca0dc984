package cache

import (
	"reflect"
	"testing"

	"github.com/moby/buildkit/client"
)

func TestIsInsecure(t *testing.T) {
	r := Registries{Insecure: []string{"registry.internal:5000"}}
	tests := []struct {
		ref  string
		want bool
	}{
		{"127.0.0.1:5000/app:cache-deps", true},
		{"localhost:5000/app:x", true},
		{"localhost/app:x", true},
		{"[::1]:5000/app:x", true},
		{"registry.internal:5000/team/app:x", true},
		{"registry.internal/team/app:x", false},
		{"ghcr.io/team/app:x", false},
		{"team/app:x", false}, // docker.io
		{"app:x", false},
	}
	for _, tt := range tests {
		if got := r.IsInsecure(tt.ref); got != tt.want {
			t.Errorf("IsInsecure(%q) = %v, want %v", tt.ref, got, tt.want)
		}
	}
}

func TestEntries(t *testing.T) {
	r := Registries{}
	tests := []struct {
		name string
		got  []client.CacheOptionsEntry
		want []client.CacheOptionsEntry
	}{
		{
			name: "imports are registry entries, plain HTTP on loopback",
			got:  r.Imports([]string{"127.0.0.1:5000/a:cache-x", "ghcr.io/a:cache-x"}),
			want: []client.CacheOptionsEntry{
				{Type: "registry", Attrs: map[string]string{"ref": "127.0.0.1:5000/a:cache-x", "registry.insecure": "true"}},
				{Type: "registry", Attrs: map[string]string{"ref": "ghcr.io/a:cache-x"}},
			},
		},
		{
			name: "inline rides in the image",
			got:  Exports(ModeInline, "/tmp/x"),
			want: []client.CacheOptionsEntry{{Type: "inline"}},
		},
		{
			name: "max goes to a local layout, as an image manifest",
			got:  Exports(ModeMax, "/tmp/x"),
			want: []client.CacheOptionsEntry{{Type: "local", Attrs: map[string]string{
				"dest": "/tmp/x", "mode": "max", "image-manifest": "true", "oci-mediatypes": "true",
			}}},
		},
		{name: "off exports nothing", got: Exports(ModeOff, "/tmp/x"), want: nil},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s:\n got %#v\nwant %#v", tt.name, tt.got, tt.want)
		}
	}
}
