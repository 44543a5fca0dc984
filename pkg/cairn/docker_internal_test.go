package cairn

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/config"
)

func TestLocalOptionsPerTarget(t *testing.T) {
	dir := t.TempDir()
	dockerfile := filepath.Join(dir, "Dockerfile")
	if err := os.WriteFile(dockerfile, []byte("FROM busybox:1.36 AS base\nFROM base AS app\nFROM base AS worker\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Load(t.Context(), LoadOptions{Overrides: config.Overrides{
		Dockerfile: dockerfile, Context: dir, Targets: []string{"app", "worker"},
		Docker: config.DockerFlags{
			Labels: []string{"team=infra"}, Network: "none", NoCache: true,
			Outputs: []string{"type=oci,dest=out/{target}.tar"}, Load: true,
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	bo, l, err := RunOptions{}.buildOptions(p, &gates{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Cleanup()
	if bo.Docker.Network != "none" || !bo.Docker.NoCache {
		t.Errorf("docker options %+v", bo.Docker)
	}
	if _, ok := bo.Targets["base"]; ok || len(bo.Targets) != 2 {
		t.Fatalf("target options for %v, want app and worker only", reflect.ValueOf(bo.Targets).MapKeys())
	}
	app := bo.Targets["app"]
	want := []build.LocalOutput{
		{Type: "oci", Dest: "out/app.tar", Attrs: map[string]string{}},
		{Type: "docker", Dest: l.Archive("app")},
	}
	if filepath.Base(l.Archive("app")) != "app.tar" {
		t.Errorf("archive %q", l.Archive("app"))
	}
	if app.Labels["team"] != "infra" || !reflect.DeepEqual(app.Outputs, want) {
		t.Errorf("app options %+v, want the label, its oci output and the --load archive", app)
	}
}
