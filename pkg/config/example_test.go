package config_test

import (
	"fmt"
	"log"

	"github.com/cairn-build/cairn/pkg/config"
)

func ExampleFile_Resolve() {
	file, err := config.Parse("build.yaml", []byte(`version: 1
repository: registry.example.com/team/app
targets:
  runtime:
    tags: ["latest", "{env.VERSION}"]
  test:
    push: false
`))
	if err != nil {
		log.Fatal(err)
	}
	env := func(name string) (string, bool) {
		return map[string]string{"VERSION": "v1.4.0"}[name], name == "VERSION"
	}
	build, err := file.Resolve(config.Overrides{}, env)
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range build.Targets {
		fmt.Println(t.Name, t.Push, t.Tags)
	}
	fmt.Println(build.CacheRef("deps"))
	// Output:
	// runtime true [registry.example.com/team/app:latest registry.example.com/team/app:v1.4.0]
	// test false []
	// registry.example.com/team/app:cache-deps
}
