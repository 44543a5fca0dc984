package planner_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/cairn-build/cairn/pkg/planner"
)

func TestCacheRefs(t *testing.T) {
	fallbacks := func(string) []string { return []string{"reg/app:cache-main", "reg/app:cache-runtime"} }
	noDeps := func(s string) string {
		if s == "deps" {
			return ""
		}
		return cacheRef(s)
	}
	tests := []struct {
		name       string
		cacheRef   func(string) string
		fallbacks  func(string) []string
		stage      string
		wantExport string
		wantImport string
	}{
		{name: "no cache", stage: "runtime"},
		{
			name: "own ref first, then deps in Dockerfile order", cacheRef: cacheRef, stage: "runtime",
			wantExport: "reg/app:cache-runtime",
			wantImport: "reg/app:cache-runtime reg/app:cache-deps reg/app:cache-builder",
		},
		{
			name: "fallbacks last, deduplicated", cacheRef: cacheRef, fallbacks: fallbacks, stage: "builder",
			wantExport: "reg/app:cache-builder",
			wantImport: "reg/app:cache-builder reg/app:cache-deps reg/app:cache-main reg/app:cache-runtime",
		},
		{
			name: "fallbacks only", fallbacks: fallbacks, stage: "runtime",
			wantImport: "reg/app:cache-main reg/app:cache-runtime",
		},
		{
			name: "empty refs dropped", cacheRef: noDeps, stage: "runtime",
			wantExport: "reg/app:cache-runtime",
			wantImport: "reg/app:cache-runtime reg/app:cache-builder",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := planner.New(readTestdata(t, "go-service.Dockerfile"), planner.Options{CacheRef: tc.cacheRef, CacheFallbacks: tc.fallbacks})
			if err != nil {
				t.Fatal(err)
			}
			s, ok := p.Stage(tc.stage)
			if !ok {
				t.Fatalf("no stage %q", tc.stage)
			}
			if s.CacheExport != tc.wantExport {
				t.Errorf("CacheExport = %q, want %q", s.CacheExport, tc.wantExport)
			}
			if s.CacheImports == nil {
				t.Error("CacheImports is nil")
			}
			assertNames(t, "CacheImports", s.CacheImports, tc.wantImport)
		})
	}
}

func TestTagsAndLevels(t *testing.T) {
	p, err := planner.New(readTestdata(t, "go-service.Dockerfile"), planner.Options{Targets: []planner.Target{
		{Name: "runtime", Tags: []string{"reg/app:1.0", "reg/app:latest"}, Push: true},
		{Name: "3", Tags: []string{"reg/app:lint"}},
		{Name: "runtime", Tags: []string{"reg/app:latest", "reg/app:stable"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	runtime, _ := p.Stage("runtime")
	assertNames(t, "runtime tags", runtime.Tags, "reg/app:1.0 reg/app:latest reg/app:stable")
	deps, _ := p.Stage("deps")
	assertNames(t, "deps tags", deps.Tags, "")
	if !p.Targets[0].Push || p.Targets[1].Push || p.Targets[1].Name != "lint" {
		t.Errorf("targets = %+v", p.Targets)
	}
	want := [][]string{{"deps"}, {"builder", "lint"}, {"runtime"}}
	if got := p.Levels(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("Levels() = %q, want %q", got, want)
	}
	if _, ok := p.Stage("debug"); ok {
		t.Error("unreachable stage debug is planned")
	}
}

func TestWriteJSON(t *testing.T) {
	p, err := planner.New(readTestdata(t, "heredoc.Dockerfile"), planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := p.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"dependsOn": []`, `"cacheImports": []`, `"tags": []`, `"baseIsStage": true`, `"line": 10`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("JSON lacks %s:\n%s", want, buf.String())
		}
	}
	if strings.Contains(buf.String(), "null") || strings.Contains(buf.String(), `"platform"`) {
		t.Errorf("JSON has null or empty platform:\n%s", buf.String())
	}
	var back planner.Plan
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
}

func TestWriteDOT(t *testing.T) {
	p, err := planner.New(readTestdata(t, "heredoc.Dockerfile"), planner.Options{
		Targets: []planner.Target{{Name: "app", Tags: []string{`reg/"app":1`}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := p.WriteDOT(&buf); err != nil {
		t.Fatal(err)
	}
	want := `digraph plan {
  rankdir=LR;
  node [shape=box];
  "stage:base" [label="base\nalpine:3.20"];
  "stage:app" [label="app\nbase"];
  "stage:base" -> "stage:app";
  "target:0:app" [shape=doubleoctagon, label="target app\nreg/\"app\":1"];
  "target:0:app" -> "stage:app";
}
`
	if buf.String() != want {
		t.Errorf("DOT:\n%s\nwant:\n%s", buf.String(), want)
	}
}
