package build

import (
	"reflect"
	"testing"

	"github.com/moby/buildkit/client"

	"github.com/cairn-build/cairn/pkg/planner"
	"github.com/cairn-build/cairn/pkg/registry"
)

func TestRepositories(t *testing.T) {
	tests := []struct {
		name string
		refs []string
		want []string
		err  bool
	}{
		{"tags dropped, spelling kept", []string{"127.0.0.1:5000/app:cache-deps", "busybox:1.36", "docker.io/team/app:v1"},
			[]string{"127.0.0.1:5000/app", "busybox", "docker.io/team/app"}, false},
		{"a repository spelled two ways is pushed once", []string{"busybox:1.36", "docker.io/library/busybox:latest", "index.docker.io/library/busybox"},
			[]string{"busybox"}, false},
		{"no tag: nothing to drop", []string{"localhost:5000/team/app"}, []string{"localhost:5000/team/app"}, false},
		{"a port is not a tag", []string{"localhost:5000/app:v1", "localhost:5000/app"}, []string{"localhost:5000/app"}, false},
		{"invalid", []string{"localhost:5000/App:v1"}, nil, true},
	}
	for _, tt := range tests {
		got, err := repositories(tt.refs)
		if (err != nil) != tt.err || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: repositories(%q) = %q, %v; want %q (error %v)", tt.name, tt.refs, got, err, tt.want, tt.err)
		}
	}
}

func TestImageExportInsecure(t *testing.T) {
	reg, err := registry.New(registry.WithInsecure("registry.internal:5000"))
	if err != nil {
		t.Fatal(err)
	}
	s := &stageSolve{stage: planner.StagePlan{Name: "app", Tags: []string{"x"}}, opts: Options{Push: true, Registry: reg}}
	tests := []struct {
		names    []string
		insecure bool
	}{
		{[]string{"ghcr.io/team/app:v1"}, false},
		{[]string{"ghcr.io/team/app:v1", "registry.internal:5000/app:v1"}, true},
		{[]string{"127.0.0.1:5000/app:v1"}, true},
	}
	for _, tt := range tests {
		repos, err := repositories(tt.names)
		if err != nil {
			t.Fatal(err)
		}
		e := s.imageExport(tt.names, repos)
		if e.Type != client.ExporterImage || e.Attrs["push-by-digest"] != "true" || (e.Attrs["registry.insecure"] == "true") != tt.insecure {
			t.Errorf("%v: export %+v, want an image pushed by digest, insecure %v", tt.names, e, tt.insecure)
		}
	}
}
