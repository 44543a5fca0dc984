package cache

import (
	"reflect"
	"testing"

	"github.com/moby/buildkit/client"

	"github.com/cairn-build/cairn/pkg/registry"
)

func TestEntries(t *testing.T) {
	reg, err := registry.New(registry.WithInsecure("registry.internal:5000"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  []client.CacheOptionsEntry
		want []client.CacheOptionsEntry
	}{
		{
			name: "imports are registry entries, plain HTTP on loopback and where listed",
			got:  Imports(reg, []string{"127.0.0.1:5000/a:cache-x", "ghcr.io/a:cache-x", "registry.internal:5000/a:cache-x"}),
			want: []client.CacheOptionsEntry{
				{Type: "registry", Attrs: map[string]string{"ref": "127.0.0.1:5000/a:cache-x", "registry.insecure": "true"}},
				{Type: "registry", Attrs: map[string]string{"ref": "ghcr.io/a:cache-x"}},
				{Type: "registry", Attrs: map[string]string{"ref": "registry.internal:5000/a:cache-x", "registry.insecure": "true"}},
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
