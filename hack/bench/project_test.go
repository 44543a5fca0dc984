package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cairn-build/cairn/pkg/bake"
)

// The override file the bench writes into a copy of examples/bake-two is
// read by buildx's resolver after the project's own file: each pushed
// target is tagged under the run's repository, and only bake's gets the
// max-mode registry cache.
func TestWriteOverride(t *testing.T) {
	tests := []struct {
		name      string
		cache     bool
		cacheFrom []string
		cacheTo   []string
	}{
		{name: "cairn", cache: false},
		{
			name: "bake", cache: true,
			// buildx's CSV forms: a registry cache-from is its ref alone.
			cacheFrom: []string{"reg.test/run/api:cache"},
			cacheTo:   []string{"type=registry,mode=max,ref=reg.test/run/api:cache"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "examples", "bake-two"))); err != nil {
				t.Fatal(err)
			}
			if err := writeOverride(dir, "reg.test/run", []string{"api", "worker"}, tt.cache); err != nil {
				t.Fatal(err)
			}
			t.Chdir(dir)
			p, err := bake.Load(t.Context(), bake.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(p.Files, overrideFile) {
				t.Errorf("files read: %v, want %s among them", p.Files, overrideFile)
			}
			api, ok := p.Target("api")
			if !ok {
				t.Fatal("no api target")
			}
			if want := []string{"reg.test/run/api:bench"}; !slices.Equal(api.Tags, want) {
				t.Errorf("api's tags: %v, want %v", api.Tags, want)
			}
			if !slices.Equal(api.CacheFrom, tt.cacheFrom) || !slices.Equal(api.CacheTo, tt.cacheTo) {
				t.Errorf("api's cache: from %v, to %v; want from %v, to %v", api.CacheFrom, api.CacheTo, tt.cacheFrom, tt.cacheTo)
			}
		})
	}
}
