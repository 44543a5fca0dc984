package bake_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cairn-build/cairn/pkg/bake"
)

// A bake file read from stdin ("-"), two targets on one Dockerfile,
// planned: the stages both need are solved once.
func ExampleLoad() {
	const hcl = `
target "api" {
  context = "testdata/shop/api"
  target  = "release"
  args    = { SERVICE = "api" }
  tags    = ["registry.example.com/shop/api:1.0"]
}
target "api-debug" {
  inherits = ["api"]
  target   = "debug"
  tags     = ["registry.example.com/shop/api:1.0-debug"]
}
group "default" { targets = ["api", "api-debug"] }
`
	p, err := bake.Load(context.Background(), bake.Options{Files: []string{"-"}, Stdin: strings.NewReader(hcl)})
	if err != nil {
		log.Fatal(err)
	}
	plan, err := p.Plan(bake.PlanOptions{
		BuildPlatform: ocispecs.Platform{OS: "linux", Architecture: "amd64"},
		Env:           func(string) (string, bool) { return "", false }, // not a CI build
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, tp := range plan.Targets {
		last := tp.Plan.Stages[len(tp.Plan.Stages)-1]
		fmt.Printf("%s: %s, stage %s → %s\n", tp.Target.Name, tp.Target.Dockerfile, last.Name, last.CacheExport)
	}
	for _, s := range plan.Shared {
		fmt.Printf("shared: %s (%s)\n", s.Stage, strings.Join(s.Targets, ", "))
	}
	// Output:
	// api: testdata/shop/api/Dockerfile, stage release → registry.example.com/shop/api:cache-release
	// api-debug: testdata/shop/api/Dockerfile, stage debug → registry.example.com/shop/api:cache-debug
	// shared: base (api, api-debug)
	// shared: build (api, api-debug)
}
