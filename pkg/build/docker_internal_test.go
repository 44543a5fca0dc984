package build

import (
	"maps"
	"reflect"
	"testing"

	"github.com/cairn-build/cairn/pkg/planner"
)

func TestDockerOptionsInSolveOpt(t *testing.T) {
	docker := Docker{
		Pull:     true,
		Network:  "host",
		AddHosts: []string{"db=10.0.0.5", "db=::1"},
		ShmSize:  64 << 20,
		Ulimits:  []string{"nofile=1024:2048"},
		Contexts: map[string]string{"extra": "/src/extra", "base": "docker-image://busybox:1.36", "context": "/src/ctx"},
	}
	target := TargetOptions{
		Labels:      map[string]string{"org.example.team": "infra"},
		Annotations: map[string]string{"annotation.org.example.a": "1"},
		Outputs: []LocalOutput{
			{Type: "oci", Dest: "/out/app.tar"},
			{Type: "local", Dest: "/out/fs"},
			{Type: "docker", Dest: "/out/app.docker.tar"},
		},
	}
	app := planner.StagePlan{Name: "app", Index: 1, DependsOn: []string{"base"}, Tags: []string{"reg.example.com/app:v1"}, Standalone: true}
	base := planner.StagePlan{Name: "base", Index: 0, Standalone: true}
	opts := Options{Dockerfile: "Dockerfile", Docker: docker, Targets: map[string]TargetOptions{"app": target}}

	opt := (&stageSolve{stage: app, opts: opts}).solveOpt(nil, false, nil, nil)
	want := map[string]string{
		"filename":                   "Dockerfile",
		"target":                     "app",
		"label:org.example.team":     "infra",
		"image-resolve-mode":         "pull",
		"force-network-mode":         "host",
		"add-hosts":                  "db=10.0.0.5,db=::1",
		"shm-size":                   "67108864",
		"ulimit":                     "nofile=1024:2048",
		"context:extra":              "local:extra",
		"sharedkey:localdir:extra":   "extra",
		"context:base":               "docker-image://busybox:1.36",
		"context:context":            "local:_context",
		"sharedkey:localdir:context": "ctx",
	}
	if !maps.Equal(opt.FrontendAttrs, want) {
		t.Errorf("frontend attrs\n got %v\nwant %v", opt.FrontendAttrs, want)
	}
	if !reflect.DeepEqual(opt.AllowedEntitlements, []string{"network.host"}) {
		t.Errorf("entitlements %v, want network.host for --network host", opt.AllowedEntitlements)
	}
	var types []string
	for _, e := range opt.Exports {
		types = append(types, e.Type)
	}
	if !reflect.DeepEqual(types, []string{"docker", "image", "oci", "local"}) {
		t.Fatalf("exports %v: want the docker archive before the image (its manifest must not be the answered digest), then the other outputs", types)
	}
	if oci := opt.Exports[2]; oci.Output == nil || oci.Attrs["name"] != "reg.example.com/app:v1" || oci.Attrs["annotation.org.example.a"] != "1" {
		t.Errorf("oci output %+v: want a file, the target's tags as name, its annotations", oci)
	}
	if local := opt.Exports[3]; local.OutputDir != "/out/fs" || local.Attrs["name"] != "" {
		t.Errorf("local output %+v: want the directory, no name", local)
	}
	if image := opt.Exports[1]; image.Attrs["annotation.org.example.a"] != "1" {
		t.Errorf("image export attrs %v: want the annotation", image.Attrs)
	}

	// Pushing, the outputs come from a second, cached solve (layoutSolve).
	pushing := opts
	pushing.Push = true
	s := &stageSolve{stage: app, opts: pushing}
	if opt := s.solveOpt(nil, false, nil, nil); len(opt.Exports) != 1 || opt.Exports[0].Type != "image" {
		t.Errorf("pushing solve exports %+v, want the image only", opt.Exports)
	}
	if exports := s.localExports(nil); len(exports) != 3 || exports[0].Type != "docker" {
		t.Errorf("second solve exports %+v, want the three outputs", exports)
	}

	// A dependency is not a target: no labels, annotations or outputs.
	opt = (&stageSolve{stage: base, opts: opts}).solveOpt(nil, false, nil, nil)
	if _, ok := opt.FrontendAttrs["label:org.example.team"]; ok || len(opt.Exports) != 1 || len(opt.Exports[0].Attrs) != 0 {
		t.Errorf("dependency stage: attrs %v, exports %+v", opt.FrontendAttrs, opt.Exports)
	}
}

func TestNoCachePerStage(t *testing.T) {
	named := planner.StagePlan{Name: "app", Index: 2, DependsOn: []string{"deps"}, Standalone: true}
	onUnnamed := planner.StagePlan{Name: "app", Index: 2, DependsOn: []string{"0"}, Standalone: true}
	last := planner.StagePlan{Name: "1", Index: 1, DependsOn: []string{"deps"}, Standalone: true}
	tests := []struct {
		name   string
		d      Docker
		stage  planner.StagePlan
		want   string
		wantOK bool
	}{
		{"off", Docker{}, named, "", false},
		{"--no-cache: own steps only", Docker{NoCache: true}, named, "app", true},
		{"--no-cache over an unnamed stage: every step", Docker{NoCache: true}, onUnnamed, "", true},
		{"--no-cache on an unnamed stage: every step", Docker{NoCache: true}, last, "", true},
		{"filter names the stage", Docker{NoCacheFilter: []string{"deps", "APP"}}, named, "app", true},
		{"filter names another stage", Docker{NoCacheFilter: []string{"deps"}}, named, "", false},
	}
	for _, tt := range tests {
		got, ok := noCache(tt.d, tt.stage)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%s: noCache = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
}
