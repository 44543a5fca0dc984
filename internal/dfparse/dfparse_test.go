package dfparse_test

import (
	"errors"
	"reflect"
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cairn-build/cairn/internal/dfparse"
)

func mustParse(t *testing.T, src string) *dfparse.Dockerfile {
	t.Helper()
	df, err := dfparse.Parse("Dockerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return df
}

func TestParseErrors(t *testing.T) {
	for src, want := range map[string]error{"": dfparse.ErrEmpty, "ARG A=1\n": dfparse.ErrNoStages} {
		if _, err := dfparse.Parse("Dockerfile", []byte(src)); !errors.Is(err, want) {
			t.Errorf("Parse(%q) = %v, want %v", src, err, want)
		}
	}
	if _, err := dfparse.Parse("Dockerfile", []byte("FROM alpine\nFROBNICATE\n")); dfparse.Line(err) != 2 {
		t.Errorf("unknown instruction: %v, want it at line 2", err)
	}
}

// TestLookup: names as BuildKit resolves them, the last duplicate winning.
func TestLookup(t *testing.T) {
	df := mustParse(t, "FROM alpine AS Build\nFROM alpine\nFROM alpine AS build\nFROM alpine AS final\n")
	if want := []string{"build", "1", "build", "final"}; !reflect.DeepEqual(df.Names, want) {
		t.Errorf("Names %q, want %q", df.Names, want)
	}
	if first, dup, ok := df.Duplicate(); !ok || first != 0 || dup != 2 {
		t.Errorf("Duplicate() = %d, %d, %v; want 0, 2, true", first, dup, ok)
	}
	tests := []struct {
		name  string
		stage int // Stage: -1 for not found
		tgt   int // Target: -1 for not found
	}{
		{"BUILD", 2, 2},
		{"final", 3, 3},
		{"1", -1, 1},
		{"01", -1, -1},
		{"4", -1, -1},
		{"", -1, -1},
	}
	for _, tc := range tests {
		if i, ok := df.Stage(tc.name); !ok && tc.stage != -1 || ok && i != tc.stage {
			t.Errorf("Stage(%q) = %d, %v; want %d", tc.name, i, ok, tc.stage)
		}
		if i, ok := df.Target(tc.name); !ok && tc.tgt != -1 || ok && i != tc.tgt {
			t.Errorf("Target(%q) = %d, %v; want %d", tc.name, i, ok, tc.tgt)
		}
	}
}

func TestResolvePlatforms(t *testing.T) {
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	arm64v8 := ocispecs.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
	arm64 := ocispecs.Platform{OS: "linux", Architecture: "arm64"}
	arm := ocispecs.Platform{OS: "linux", Architecture: "arm"}
	armv7 := ocispecs.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
	var none ocispecs.Platform
	tests := []struct {
		name                    string
		target, build, fallback ocispecs.Platform
		want                    dfparse.Platforms
	}{
		{"neither: fallback", none, none, amd64, dfparse.Platforms{Target: amd64, Build: amd64}},
		{"target only: builds on it", arm, none, amd64, dfparse.Platforms{Target: armv7, Build: armv7}},
		{"build only: implicit target", none, arm64v8, amd64, dfparse.Platforms{Target: arm64, Build: arm64}},
		{"both", arm64v8, amd64, none, dfparse.Platforms{Target: arm64, Build: amd64}},
	}
	for _, tc := range tests {
		if got := dfparse.ResolvePlatforms(tc.target, tc.build, tc.fallback); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// TestAutoArgs is dockerfile2llb's defaultArgs table.
func TestAutoArgs(t *testing.T) {
	pf := dfparse.Platforms{
		Target: ocispecs.Platform{OS: "windows", Architecture: "arm", Variant: "v7", OSVersion: "10.0.1"},
		Build:  ocispecs.Platform{OS: "linux", Architecture: "arm64", Variant: "v9", OSVersion: "6.1"},
	}
	env := dfparse.AutoArgs(pf, "app", map[string]string{"TARGETARCH": "riscv64", "OTHER": "x"})
	want := [][2]string{
		{"BUILDPLATFORM", "linux/arm64/v9"}, {"BUILDOS", "linux"}, {"BUILDOSVERSION", "6.1"},
		{"BUILDARCH", "arm64"}, {"BUILDVARIANT", "v9"},
		{"TARGETPLATFORM", "windows(10.0.1)/arm/v7"}, {"TARGETOS", "windows"}, {"TARGETOSVERSION", "10.0.1"},
		{"TARGETARCH", "riscv64"}, {"TARGETVARIANT", "v7"}, {"TARGETSTAGE", "app"},
	}
	var got [][2]string
	for _, k := range env.Keys() {
		v, _ := env.Get(k)
		got = append(got, [2]string{k, v})
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("AutoArgs:\n got %q\nwant %q", got, want)
	}
}

// TestGlobalArgs: a failing default leaves its ARG unset, the later ones
// are still evaluated, and the first failure is reported at its line.
func TestGlobalArgs(t *testing.T) {
	df := mustParse(t, "ARG A=${TARGETARCH}-x\nARG BAD=${NOPE:?unset}\nARG C=$A/$TARGETSTAGE\nARG D\nFROM alpine\n")
	env := dfparse.AutoArgs(dfparse.Platforms{Target: ocispecs.Platform{OS: "linux", Architecture: "arm64"}}, "app", nil)
	used, err := df.GlobalArgs(env, nil, df.Expand)
	if want := `Dockerfile:2: expand ARG BAD: failed to process "${NOPE:?unset}": NOPE: unset`; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
	if !used {
		t.Error("C reads TARGETSTAGE, but used is false")
	}
	for k, want := range map[string]string{"A": "arm64-x", "C": "arm64-x/app"} {
		if v, _ := env.Get(k); v != want {
			t.Errorf("%s = %q, want %q", k, v, want)
		}
	}
	for _, k := range []string{"BAD", "D"} {
		if _, ok := env.Get(k); ok {
			t.Errorf("%s is set", k)
		}
	}
}

func TestResolveBase(t *testing.T) {
	df := mustParse(t, "FROM alpine AS a\nFROM alpine AS a\nFROM ${BASE} AS b\nFROM --platform=$BUILDPLATFORM a AS c\nFROM c AS c\nFROM --platform=bad/x/y/z a\nFROM d AS d\n")
	env := dfparse.AutoArgs(dfparse.Platforms{Build: ocispecs.Platform{OS: "linux", Architecture: "amd64"}}, "c", nil)
	tests := []struct {
		want dfparse.Base
		err  string
	}{
		{dfparse.Base{Name: "alpine", Stage: -1}, ""},
		{dfparse.Base{Name: "alpine", Stage: -1}, ""},
		{dfparse.Base{Stage: -1}, "Dockerfile:3: base name (${BASE}) should not be blank"},
		{dfparse.Base{Name: "a", Stage: 1, Platform: "linux/amd64"}, ""},
		{dfparse.Base{Name: "c", Stage: 3}, ""},
		{dfparse.Base{Name: "a", Stage: 1}, "Dockerfile:6: failed to parse platform bad/x/y/z"},
		{dfparse.Base{Name: "d", Stage: -1}, ""}, // its own name is an image
	}
	for i, tc := range tests {
		b, err := df.ResolveBase(i, env, df.Expand)
		if b != tc.want {
			t.Errorf("stage %d: %+v, want %+v", i, b, tc.want)
		}
		if got := errString(err); len(got) < len(tc.err) || got[:len(tc.err)] != tc.err || (tc.err == "") != (err == nil) {
			t.Errorf("stage %d: error %q, want %q", i, got, tc.err)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
