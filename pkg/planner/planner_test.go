package planner_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cairn-build/cairn/pkg/planner"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	dt, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return dt
}

func cacheRef(stage string) string { return "reg/app:cache-" + stage }

// planCase plans a testdata Dockerfile. Lists are space-separated names;
// a base ending in "*" names a stage.
type planCase struct {
	name    string
	file    string
	args    map[string]string
	targets []planner.Target
	stages  string            // Plan.Stages
	plans   map[string]string // TargetPlan.Stages by target
	deps    map[string]string // StagePlan.DependsOn
	bases   map[string]string // StagePlan.Base
	levels  map[string]int
	lines   map[string]int
	images  map[string]string // StagePlan.Images
}

// planCases are the success cases of TestPlan.
func planCases() []planCase {
	return []planCase{
		{
			name:   "go service default target",
			file:   "go-service.Dockerfile",
			stages: "deps builder runtime",
			plans:  map[string]string{"runtime": "deps builder runtime"},
			deps:   map[string]string{"deps": "", "builder": "deps", "runtime": "builder"},
			bases: map[string]string{
				"deps":    "golang:1.26-alpine",
				"builder": "deps*",
				"runtime": "gcr.io/distroless/static-debian12:nonroot",
			},
			levels: map[string]int{"deps": 0, "builder": 1, "runtime": 2},
			lines:  map[string]int{"deps": 5, "builder": 10, "runtime": 27},
		},
		{
			name:    "targets share stages",
			file:    "go-service.Dockerfile",
			targets: targets("test", "lint", "runtime"),
			stages:  "deps builder test lint runtime",
			plans:   map[string]string{"test": "deps test", "lint": "deps lint", "runtime": "deps builder runtime"},
			deps:    map[string]string{"test": "deps", "lint": "deps"},
			bases:   map[string]string{"lint": "golangci/golangci-lint:v2.1"},
			levels:  map[string]int{"test": 1, "lint": 1},
		},
		{
			name:    "build args override ARG defaults",
			file:    "go-service.Dockerfile",
			args:    map[string]string{"GO_VERSION": "1.25", "BASE_IMAGE": "alpine:3.21"},
			targets: targets("RUNTIME"),
			stages:  "deps builder runtime",
			bases:   map[string]string{"deps": "golang:1.25-alpine", "runtime": "alpine:3.21"},
		},
		{
			name:   "ARG picks the base stage",
			file:   "variants.Dockerfile",
			stages: "build-alpine build release",
			deps:   map[string]string{"build": "build-alpine", "release": "build"},
			bases:  map[string]string{"build": "build-alpine*", "release": "debian:bookworm-slim"},
		},
		{
			name:   "build arg picks another base stage",
			file:   "variants.Dockerfile",
			args:   map[string]string{"VARIANT": "debian"},
			stages: "build-debian build release",
			bases:  map[string]string{"build": "build-debian*"},
		},
		{
			name:   "index refs and external --from images",
			file:   "index-refs.Dockerfile",
			stages: "0 1",
			plans:  map[string]string{"1": "0 1"},
			deps:   map[string]string{"0": "", "1": "0"},
			bases:  map[string]string{"0": "golang:1.26", "1": "alpine:3.20"},
			// COPY --from=0 is a stage; scratch (a mount without from=) is none.
			images: map[string]string{"0": "", "1": "busybox:1.36"},
		},
		{
			name:    "target by index",
			file:    "go-service.Dockerfile",
			targets: targets("2"),
			stages:  "deps test",
			plans:   map[string]string{"test": "deps test"},
		},
		{
			name:   "heredocs",
			file:   "heredoc.Dockerfile",
			stages: "base app",
			deps:   map[string]string{"app": "base"},
			lines:  map[string]int{"base": 2, "app": 10},
		},
		{
			name:   "stage named after its base image",
			file:   "golang-stage.Dockerfile",
			stages: "golang gen final",
			bases:  map[string]string{"golang": "golang:1.26", "gen": "golang*", "final": "gcr.io/distroless/static"},
			deps:   map[string]string{"golang": "", "gen": "golang", "final": "gen"},
		},
		{
			name:   "FROM --platform",
			file:   "platform.Dockerfile",
			stages: "xx build runtime",
			deps:   map[string]string{"build": "xx", "runtime": "build"},
		},
		{
			name:   "images read by COPY --from and RUN --mount from=",
			file:   "from-images.Dockerfile",
			stages: "tools 1",
			deps:   map[string]string{"1": "tools"},
			images: map[string]string{"tools": "", "1": "docker.io/library/golang:1.26 nginx:1.27"},
		},
		{
			name:   "ONBUILD triggers of the base stage",
			file:   "onbuild.Dockerfile",
			stages: "assets web-base web",
			deps:   map[string]string{"web-base": "", "web": "assets web-base"},
			levels: map[string]int{"assets": 0, "web-base": 0, "web": 1},
		},
		{
			name:    "TARGETSTAGE per target",
			file:    "targetstage.Dockerfile",
			targets: targets("dev", "prod"),
			stages:  "base-dev base-prod dev prod",
			plans:   map[string]string{"dev": "base-dev dev", "prod": "base-prod prod"},
			bases:   map[string]string{"dev": "base-dev*", "prod": "base-prod*"},
		},
		{
			name:   "fan-in with mounts and case-insensitive --from",
			file:   "fan-in.Dockerfile",
			stages: "web-deps web cli api bundle",
			deps:   map[string]string{"api": "web", "bundle": "web cli api", "cli": ""},
			levels: map[string]int{"web-deps": 0, "cli": 0, "web": 1, "api": 2, "bundle": 3},
		},
		{
			name:   "stage named scratch seeds cache mounts",
			file:   "scratch-stage.Dockerfile",
			stages: "scratch build out",
			deps:   map[string]string{"scratch": "", "build": "scratch", "out": "scratch build"},
			bases:  map[string]string{"scratch": "scratch", "out": "scratch*"},
		},
		{
			name:    "later stage from an unplanned stage, index past the stages",
			file:    "quirks.Dockerfile",
			targets: targets("late"),
			stages:  "tools late",
			deps:    map[string]string{"tools": "", "late": "tools"},
		},
	}
}

func targets(names ...string) []planner.Target {
	ts := make([]planner.Target, len(names))
	for i, n := range names {
		ts[i] = planner.Target{Name: n}
	}
	return ts
}

func TestPlan(t *testing.T) {
	for _, tc := range planCases() {
		t.Run(tc.name, func(t *testing.T) {
			p, err := planner.New(readTestdata(t, tc.file), planner.Options{BuildArgs: tc.args, Targets: tc.targets})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, s := range p.Stages {
				names = append(names, s.Name)
			}
			assertNames(t, "plan stages", names, tc.stages)
			for _, tp := range p.Targets {
				if want, ok := tc.plans[tp.Name]; ok {
					assertNames(t, "target "+tp.Name, tp.Stages, want)
				}
			}
			checkStages(t, p, tc)
		})
	}
}

func checkStages(t *testing.T, p *planner.Plan, tc planCase) {
	t.Helper()
	for _, s := range p.Stages {
		if want, ok := tc.deps[s.Name]; ok {
			assertNames(t, s.Name+" deps", s.DependsOn, want)
		}
		base := s.Base
		if s.BaseIsStage {
			base += "*"
		}
		if want, ok := tc.bases[s.Name]; ok && base != want {
			t.Errorf("%s base = %q, want %q", s.Name, base, want)
		}
		if want, ok := tc.levels[s.Name]; ok && s.Level != want {
			t.Errorf("%s level = %d, want %d", s.Name, s.Level, want)
		}
		if want, ok := tc.lines[s.Name]; ok && s.Line != want {
			t.Errorf("%s line = %d, want %d", s.Name, s.Line, want)
		}
		if want, ok := tc.images[s.Name]; ok {
			assertNames(t, s.Name+" images", s.Images, want)
		}
	}
}

func assertNames(t *testing.T, what string, got []string, want string) {
	t.Helper()
	if !slices.Equal(got, strings.Fields(want)) {
		t.Errorf("%s = %q, want %q", what, got, strings.Fields(want))
	}
}

// errorCase is a Dockerfile the planner must reject. Unless plannerOnly,
// BuildKit must reject it too (llb_test.go checks).
type errorCase struct {
	name        string
	dockerfile  string
	args        map[string]string
	targets     []string
	wantErr     string
	line        int
	plannerOnly bool // a rule of the planner's own, or a target BuildKit cannot name
}

// errorCases are Dockerfiles and options that must fail.
func errorCases() []errorCase {
	return []errorCase{
		{name: "empty", dockerfile: "", wantErr: "Dockerfile: the Dockerfile cannot be empty"},
		{name: "unnamed stage as target", dockerfile: "FROM busybox:1.36\nFROM busybox:1.36\n", targets: []string{"0"}, wantErr: "stage 0 has no name: BuildKit builds only named stages and the last one as targets", line: 1, plannerOnly: true},
		{name: "comments only", dockerfile: "# nothing\n\n", wantErr: "file with no instructions", line: 2},
		{name: "no FROM", dockerfile: "ARG X=1\n", wantErr: "contains no stages to build"},
		{name: "bare FROM", dockerfile: "FROM\n", wantErr: "FROM requires either one or three arguments", line: 1},
		{name: "FROM a AS", dockerfile: "FROM a AS\n", wantErr: "FROM requires either one or three arguments", line: 1},
		{name: "unknown instruction", dockerfile: "FROM alpine\nFORM x\n", wantErr: `unknown instruction: FORM (did you mean FROM?)`, line: 2},
		{name: "instruction before FROM", dockerfile: "# hi\nRUN true\nFROM alpine\n", wantErr: "no build stage in current context", line: 2},
		{name: "invalid stage name", dockerfile: "FROM alpine AS 1st\n", wantErr: `invalid name for build stage: "1st"`, line: 1},
		{name: "unterminated heredoc", dockerfile: "FROM alpine\nRUN <<EOF\necho hi\n", wantErr: "unterminated heredoc", line: 2},
		{name: "ADD --from", dockerfile: "FROM alpine AS a\nFROM alpine\nADD --from=a /x /x\n", wantErr: "unknown flag: --from", line: 3},
		{
			name:        "duplicate stage name",
			dockerfile:  "FROM alpine AS builder\nRUN true\nFROM debian AS Builder\nRUN true\n",
			wantErr:     `Dockerfile:3: duplicate stage name "builder" (first defined on line 1)`,
			line:        3,
			plannerOnly: true,
		},
		{name: "blank base", dockerfile: "ARG UNSET\nFROM ${UNSET}\n", wantErr: "Dockerfile:2: base name (${UNSET}) should not be blank", line: 2},
		{name: "build arg without ARG", dockerfile: "FROM ${BASE}\n", args: map[string]string{"BASE": "alpine"}, wantErr: "should not be blank", line: 1},
		{name: "empty platform", dockerfile: "FROM alpine AS a\nFROM --platform=$NOPE alpine\n", wantErr: "empty platform value from expression $NOPE", line: 2},
		{name: "bad platform", dockerfile: "FROM --platform=linux/amd64/v2/x alpine\n", wantErr: "failed to parse platform", line: 1},
		{name: "variable in COPY --from", dockerfile: "FROM alpine AS a\nFROM alpine\nARG SRC=a\nCOPY --from=$SRC /x /x\n", wantErr: "variable expansion is not supported for --from", line: 4},
		{name: "variable in mount from", dockerfile: "FROM alpine AS a\nFROM alpine\nRUN --mount=from=$A,target=/a true\n", wantErr: "'from' doesn't support variable expansion", line: 3},
		{name: "index out of range", dockerfile: "FROM alpine\nRUN true\nFROM alpine\nCOPY --from=7 /x /x\n", wantErr: "Dockerfile:4: invalid stage index 7", line: 4},
		{name: "copy from itself", dockerfile: "FROM alpine AS a\nCOPY --from=a /x /x\n", wantErr: `circular dependency detected on stage "a"`, line: 2},
		{name: "copy from itself by index", dockerfile: "FROM alpine\nRUN true\nFROM alpine\nCOPY --from=1 /x /x\n", wantErr: `circular dependency detected on stage "1"`, line: 4},
		{
			name:       "cycle",
			dockerfile: "FROM alpine AS a\nCOPY --from=b /x /x\nFROM alpine AS b\nRUN --mount=from=a,target=/a true\nFROM alpine\n",
			wantErr:    `circular dependency detected on stage "a"`,
			line:       2,
		},
		{
			name:       "copy from later stage",
			dockerfile: "FROM alpine AS a\nRUN true\nCOPY --from=b /x /x\nFROM debian AS b\nRUN true\n",
			targets:    []string{"a"},
			wantErr:    `Dockerfile:3: cannot copy from stage "b", it needs to be defined before current stage "a"`,
			line:       3,
		},
		{
			name:       "mount from later stage",
			dockerfile: "FROM alpine AS a\nRUN --mount=type=bind,from=b,target=/b true\nFROM debian AS b\nRUN true\nFROM alpine\nCOPY --from=a /x /x\n",
			wantErr:    `Dockerfile:2: cannot mount from stage "b"`,
			line:       2,
		},
		{
			name:       "FROM is case-sensitive",
			dockerfile: "FROM alpine AS builder\nRUN true\nFROM Builder\nRUN true\n",
			wantErr:    `Dockerfile:3: failed to parse stage name "Builder"`,
			line:       3,
		},
		{name: "bad image in unplanned stage", dockerfile: "FROM Alpine AS x\nFROM alpine\nRUN true\n", wantErr: `failed to parse stage name "Alpine"`, line: 1},
		{name: "bad --from image", dockerfile: "FROM alpine\nCOPY --from=Busybox:1 /x /x\n", wantErr: `Dockerfile:2: failed to parse stage name "Busybox:1"`, line: 2},
		{
			name:       "bad ONBUILD trigger",
			dockerfile: "FROM alpine AS base\nONBUILD COPY --from=$X /x /x\nFROM base\nRUN true\n",
			wantErr:    "Dockerfile:3: ONBUILD trigger: variable expansion is not supported for --from",
			line:       3,
		},
		{
			name:       "unknown target",
			dockerfile: "FROM alpine AS builder\nRUN true\nFROM alpine AS runtime\n",
			targets:    []string{"buidler"},
			wantErr:    `Dockerfile: unknown target "buidler" (did you mean "builder"?)`,
		},
		{
			name:       "unknown target, nothing near",
			dockerfile: "FROM alpine AS builder\nRUN true\nFROM alpine\n",
			targets:    []string{"release"},
			wantErr:    `Dockerfile: unknown target "release" (available: builder, 1)`,
		},
		{
			name:        "index target out of range",
			dockerfile:  "FROM alpine\n",
			targets:     []string{"1"},
			wantErr:     `unknown target "1"`,
			plannerOnly: true,
		},
		{
			name:        "stage resolves differently per target",
			dockerfile:  "FROM alpine AS base-a\nFROM debian AS base-b\nFROM base-${TARGETSTAGE} AS shared\nFROM shared AS a\nFROM shared AS b\n",
			targets:     []string{"a", "b"},
			wantErr:     `Dockerfile:3: stage "shared" resolves differently for targets "a" and "b" (TARGETSTAGE)`,
			line:        3,
			plannerOnly: true,
		},
	}
}

func TestPlanErrors(t *testing.T) {
	for _, tc := range errorCases() {
		t.Run(tc.name, func(t *testing.T) {
			_, err := planner.New([]byte(tc.dockerfile), planner.Options{BuildArgs: tc.args, Targets: targets(tc.targets...)})
			if err == nil {
				t.Fatalf("no error, want %q", tc.wantErr)
			}
			var perr *planner.Error
			if !errors.As(err, &perr) {
				t.Fatalf("error %T is not a *planner.Error: %v", err, err)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q, want it to contain %q", err, tc.wantErr)
			}
			if perr.Line != tc.line {
				t.Errorf("line %d, want %d (%v)", perr.Line, tc.line, err)
			}
		})
	}
}

// TestStandalone: an unnamed stage before the last cannot be built alone, so
// it has no cache ref of its own and nobody imports one for it.
func TestStandalone(t *testing.T) {
	df := "FROM busybox:1.36\nRUN true\nFROM busybox:1.36 AS named\nCOPY --from=0 / /\nFROM busybox:1.36\nCOPY --from=named / /\n"
	p, err := planner.New([]byte(df), planner.Options{CacheRef: func(s string) string { return "r:cache-" + s }})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		standalone bool
		export     string
		imports    string
	}{
		"0":     {false, "", ""},
		"named": {true, "r:cache-named", "r:cache-named"},
		"2":     {true, "r:cache-2", "r:cache-2 r:cache-named"},
	}
	for _, s := range p.Stages {
		w := want[s.Name]
		if s.Standalone != w.standalone || s.CacheExport != w.export || strings.Join(s.CacheImports, " ") != w.imports {
			t.Errorf("stage %s: standalone %v, export %q, imports %q; want %v, %q, %q", s.Name, s.Standalone, s.CacheExport, s.CacheImports, w.standalone, w.export, w.imports)
		}
	}
}
