package bake_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cairn-build/cairn/pkg/bake"
)

var amd64 = ocispecs.Platform{OS: "linux", Architecture: "amd64"}

func noEnv(string) (string, bool) { return "", false }

func planShop(t *testing.T, targets ...string) *bake.Plan {
	t.Helper()
	clearEnv(t)
	p, err := load(t, "testdata/shop", bake.Options{Targets: targets})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := p.Plan(bake.PlanOptions{BuildPlatform: amd64, Env: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

func TestPlanSharedStagesAndRefs(t *testing.T) {
	plan := planShop(t, "api", "api-debug", "worker", "docs", "inline", "api-cross")
	var shared []string
	for _, s := range plan.Shared {
		shared = append(shared, s.Stage+":"+strings.Join(s.Targets, "+"))
		if strings.Join(s.Platforms, ",") != "linux/amd64" {
			t.Errorf("%s shared on %v, want linux/amd64 alone", s.Stage, s.Platforms)
		}
	}
	// api-cross builds api's stages for linux/amd64 too, and for linux/arm64
	// alone.
	if got, want := strings.Join(shared, " "), "base:api+api-cross+api-debug build:api+api-cross+api-debug release:api+api-cross"; got != want {
		t.Errorf("shared = %s, want %s", got, want)
	}
	if len(plan.Links) != 1 || plan.Links[0].Target != "api" || strings.Join(plan.Links[0].UsedBy, ",") != "docs (as api)" {
		t.Errorf("links = %+v", plan.Links)
	}
	refs := map[string]string{}
	for _, tp := range plan.Targets {
		for _, s := range tp.Plan.Stages {
			refs[tp.Target.Name+"/"+s.Name] = s.CacheExport + " " + strings.Join(s.Tags, ",")
		}
	}
	for stage, want := range map[string]string{
		"api/release":    "registry.example.com/shop/api:cache-release registry.example.com/shop/api:1.1.0",
		"api-debug/base": "registry.example.com/shop/api:cache-base ",
		"worker/1":       "registry.example.com/shop/worker:cache-1 registry.example.com/shop/worker:1.1.0",
		"inline/0":       "shop-inline:cache-0 shop-inline:latest",
		"docs/docs":      " ", // no tags: no repository, no cache refs
	} {
		if refs[stage] != want {
			t.Errorf("%s: cache and tags %q, want %q", stage, refs[stage], want)
		}
	}
}

func TestPlanOutputs(t *testing.T) {
	plan := planShop(t, "api", "api-debug")
	var text, dot, js bytes.Buffer
	if err := plan.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := plan.WriteDOT(&dot); err != nil {
		t.Fatal(err)
	}
	if err := plan.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"== target api: context api, Dockerfile api/Dockerfile, stage release",
		"   repository registry.example.com/shop/api\n",
		"shared stages (solved once for all their targets):\n  base of api/Dockerfile (linux/amd64): api, api-debug\n",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	for _, want := range []string{`"api/base" [style=bold, label="base (shared)"];`, `"api/base" -> "api-debug/debug";`, `subgraph "cluster_api-debug"`} {
		if !strings.Contains(dot.String(), want) {
			t.Errorf("dot lacks %q:\n%s", want, dot.String())
		}
	}
	if strings.Count(dot.String(), `"api/base" -> "api/build";`) != 1 {
		t.Errorf("shared edge not written once:\n%s", dot.String())
	}
	var decoded struct {
		Targets []struct {
			Target struct{ Name, Repository string }
			Plan   struct{ Stages []struct{ Name string } }
		}
		Shared []struct{ Stage string }
	}
	if err := json.Unmarshal(js.Bytes(), &decoded); err != nil {
		t.Fatal(err)
	}
	if len(decoded.Targets) != 2 || decoded.Targets[1].Target.Name != "api-debug" || len(decoded.Shared) != 2 {
		t.Errorf("json = %+v", decoded)
	}
}

func TestPlanErrors(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	files := map[string]string{
		"docker-bake.hcl": `target "remote" {
  context = "https://github.com/example/repo.git#main"
}
target "nodockerfile" {
  context = "ctx"
}
target "badstage" {
  context = "ctx"
  dockerfile = "Dockerfile.ok"
  target = "nope"
}
`,
		"ctx/Dockerfile.ok": "FROM busybox:1.36 AS one\n",
	}
	for name, content := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for target, want := range map[string]string{
		"remote":       "target remote: context https://github.com/example/repo.git#main is remote: cairn plans only local contexts",
		"nodockerfile": "target nodockerfile: read Dockerfile: open ctx/Dockerfile: no such file or directory",
		"badstage":     `target badstage: ctx/Dockerfile.ok: unknown target "nope" (did you mean "one"?)`,
	} {
		t.Run(target, func(t *testing.T) {
			p, err := load(t, dir, bake.Options{Targets: []string{target}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Plan(bake.PlanOptions{BuildPlatform: amd64, Env: noEnv})
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("err = %v, want %q", err, want)
			}
		})
	}
}
