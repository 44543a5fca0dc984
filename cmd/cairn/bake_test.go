package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBakePrintAndPlan(t *testing.T) {
	t.Setenv("TAG", "t1")
	t.Setenv("CAIRN_REGISTRY", "reg.test")
	dir := filepath.Join("..", "..", "examples", "bake-two")
	code, stdout, stderr := runCLI(t, dir, "bake", "--print", "--set", "*.args.BUILD_TAG=rc1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var def struct {
		Group  map[string]struct{ Targets []string }
		Target map[string]struct {
			Context string
			Tags    []string
			Args    map[string]string
		}
	}
	if err := json.Unmarshal([]byte(stdout), &def); err != nil {
		t.Fatalf("%v in %s", err, stdout)
	}
	api := def.Target["api"]
	if strings.Join(def.Group["default"].Targets, ",") != "api,worker" || api.Context != "api" ||
		strings.Join(api.Tags, ",") != "reg.test/examples/bake-two/api:t1" || api.Args["BUILD_TAG"] != "rc1" {
		t.Errorf("print = %s", stdout)
	}
	if _, ok := def.Target["base"]; !ok {
		t.Errorf("linked target base not printed: %s", stdout)
	}
	code, stdout, stderr = runCLI(t, ".", "bake", "--plan", "worker")
	if code != 0 {
		t.Fatalf("plan: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"== target worker: context worker", "reg.test/examples/bake-two/worker:cache-release", "target base is a build context of worker (as base)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, stdout)
		}
	}
}

func TestBakeErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"docker-bake.hcl": "target \"app\" {\n}\n",
		"bad.hcl":         "target \"a\" {\n  context = \n}\n",
	})
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox:1.36\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"print and push", []string{"bake", "--print", "--push"}, exitUsage, []string{"--print and --plan build nothing"}},
		{"both modes", []string{"bake", "--print", "--plan"}, exitUsage, []string{"--print and --plan"}},
		{"bad format", []string{"bake", "--plan", "--format", "yaml"}, exitUsage, []string{`--format "yaml"`}},
		{"format without plan", []string{"bake", "--print", "--format", "json"}, exitUsage, []string{"--format is --plan's"}},
		{"no default", []string{"bake", "--print"}, exitUsage, []string{"docker-bake.hcl has no target or group named default: name one of app"}},
		{"unknown target", []string{"bake", "--print", "ap"}, exitUsage, []string{`unknown target or group "ap"`, `did you mean "app"`}},
		{"bad file", []string{"bake", "-f", "bad.hcl", "--print", "a"}, exitFailure, []string{
			"cairn: bad.hcl:2,13-3,1: Invalid expression; Expected the start of an expression, but found an invalid expression token.",
			">>>   context = ",
		}},
		{"plan ok", []string{"bake", "--plan", "app"}, exitOK, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, dir, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d: %s", code, tt.code, stderr)
			}
			for _, want := range tt.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
		})
	}
}
