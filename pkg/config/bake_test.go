package config

import (
	"strings"
	"testing"
)

const bakePolicy = `version: 1
repository: reg.example.com/ignored
dockerfile: ignored.Dockerfile
cache:
  mode: inline
  ref: "{repository}:c-{stage}"
  mounts: { mode: auto }
bake:
  api:
    cache: { mode: max }
    checks: { commands: [{ command: /app/api }] }
  worker:
    cache: { mounts: { mode: "off" } }
`

// TestForBake: a bake target's description is build.yaml's top-level
// policy with its bake: entry over it, and none of what the bake file gives.
func TestForBake(t *testing.T) {
	f, err := Parse("build.yaml", []byte(bakePolicy))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		target, stage     string
		mode, ref, mounts string
		checkedStage      string // "" when the target has no checks
	}{
		{"api", "release", "max", "{repository}:c-{stage}", "auto", "release"},
		{"worker", "", "inline", "{repository}:c-{stage}", "off", ""},
		{"docs", "site", "inline", "{repository}:c-{stage}", "auto", ""},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			g := f.ForBake(tt.target, tt.stage)
			if g.Repository != "" || g.Dockerfile != "" || g.Bake != nil {
				t.Errorf("kept the bake file's fields: repository %q, dockerfile %q, bake %v", g.Repository, g.Dockerfile, g.Bake)
			}
			if g.Cache.Mode != tt.mode || g.Cache.Ref != tt.ref || g.Cache.Mounts.Mode != tt.mounts {
				t.Errorf("cache = %+v, want mode %s, ref %s, mounts %s", g.Cache, tt.mode, tt.ref, tt.mounts)
			}
			switch {
			case tt.checkedStage == "" && len(g.Targets) != 0:
				t.Errorf("targets = %+v, want none", g.Targets)
			case tt.checkedStage != "" && (len(g.Targets) != 1 || g.Targets[0].Name != tt.checkedStage || g.Targets[0].Checks == nil):
				t.Errorf("targets = %+v, want %s with its checks", g.Targets, tt.checkedStage)
			}
		})
	}
	if f.Cache.Mode != "inline" || f.Repository == "" {
		t.Errorf("ForBake changed the file: %+v", f.Cache)
	}
}

func TestBakePolicyErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"cache mode", "version: 1\nbake:\n  api:\n    cache: { mode: maximal }\n", "bake.api.cache.mode"},
		{"cache ref", "version: 1\nbake:\n  api:\n    cache: { ref: \"{nope}\" }\n", "bake.api.cache.ref"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("build.yaml", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to name %s", err, tt.want)
			}
		})
	}
}
