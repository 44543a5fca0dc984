package cache

import (
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// rawImage is a cache image as its two JSON documents.
type rawImage struct {
	v1.Image
	manifest, config string
}

func (r rawImage) RawManifest() ([]byte, error)   { return []byte(r.manifest), nil }
func (r rawImage) RawConfigFile() ([]byte, error) { return []byte(r.config), nil }

const cacheManifest = `{"config":{"digest":"sha256:CONFIG"},"layers":[{"digest":"sha256:L1","annotations":{"buildkit/createdat":"TIME"SOURCE}}]}`
const cacheConfig = `{"layers":[{"blob":"sha256:L1","parent":-1}],"records":[{"digest":"sha256:R1","layers":[{"layer":0,"createdAt":"TIME"}]}]}`

func cacheImage(config, time, source, layer string) rawImage {
	r := strings.NewReplacer("CONFIG", config, "TIME", time, "SOURCE", source, "L1", layer)
	return rawImage{manifest: r.Replace(cacheManifest), config: r.Replace(cacheConfig)}
}

func TestSameCache(t *testing.T) {
	base := cacheImage("c1", "2026-01-01T00:00:00Z", "", "aaa")
	tests := []struct {
		name  string
		other rawImage
		want  bool
	}{
		{"identical", base, true},
		{"exported again later", cacheImage("c2", "2026-02-02T00:00:00Z", "", "aaa"), true},
		{"its blobs pulled from a registry", cacheImage("c3", "2026-01-01T00:00:00Z", `,"containerd.io/distribution.source.reg":"app"`, "aaa"), true},
		{"another layer", cacheImage("c4", "2026-01-01T00:00:00Z", "", "bbb"), false},
	}
	for _, tt := range tests {
		got, err := SameCache(base, tt.other)
		if err != nil || got != tt.want {
			t.Errorf("%s: SameCache = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}
