package inputs_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/inputs"
)

// BenchmarkGoCache digests examples/go-cache (its sources and vendored
// modules, ~100 files): the work a no-change publish does before it asks
// the registry anything.
func BenchmarkGoCache(b *testing.B) {
	dir, err := filepath.Abs("../../examples/go-cache")
	if err != nil {
		b.Fatal(err)
	}
	file, err := config.Load(filepath.Join(dir, config.DefaultFile))
	if err != nil {
		b.Fatal(err)
	}
	df, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		b.Fatal(err)
	}
	cfg, plan := resolve(b, file, config.Overrides{}, df)
	images := map[string]string{}
	for _, ref := range inputs.Images(cfg, plan, df) {
		images[ref] = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
	}
	p := inputs.Project{Config: cfg, Plan: plan, Dockerfile: df, ConfigFile: filepath.Join(dir, config.DefaultFile), Images: images, Version: "bench"}
	b.ResetTimer()
	for b.Loop() {
		if _, err := inputs.Compute(context.Background(), p); err != nil {
			b.Fatal(err)
		}
	}
}
