package config

import (
	"errors"
	"reflect"
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cairn-build/cairn/internal/located"
)

func TestPlanOptionsPlatforms(t *testing.T) {
	daemon := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	arm64 := ocispecs.Platform{OS: "linux", Architecture: "arm64"}
	armv7 := ocispecs.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
	tests := []struct {
		name  string
		yaml  string
		flags []string
		want  []ocispecs.Platform
	}{
		{"none", "version: 1\n", nil, nil},
		{"build.yaml, normalized", "version: 1\nplatforms: [linux/arm64/v8, linux/arm]\n", nil, []ocispecs.Platform{arm64, armv7}},
		{"--platform replaces build.yaml", "version: 1\nplatforms: [linux/amd64]\n", []string{"linux/arm64"}, []ocispecs.Platform{arm64}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := resolve(t, tt.yaml, Overrides{Platforms: tt.flags}, nil)
			if got := b.PlanOptions(); !reflect.DeepEqual(got.Platforms, tt.want) || !reflect.DeepEqual(got.BuildPlatform, ocispecs.Platform{}) {
				t.Errorf("PlanOptions: platforms %v, build %v; want %v and none", got.Platforms, got.BuildPlatform, tt.want)
			}
			got := b.PlanOptionsFor(daemon)
			if !reflect.DeepEqual(got.Platforms, tt.want) || !reflect.DeepEqual(got.BuildPlatform, daemon) {
				t.Errorf("PlanOptionsFor: platforms %v, build %v; want %v and %v", got.Platforms, got.BuildPlatform, tt.want, daemon)
			}
		})
	}
}

func TestPlatformFlagError(t *testing.T) {
	_, err := Default().Resolve(Overrides{Platforms: []string{"linux/amd64/v2/x"}}, env(nil))
	want := `Overrides.Platforms: "linux/amd64/v2/x": cannot parse platform specifier: invalid argument`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}

func TestErrorIsLocated(t *testing.T) {
	_, err := Parse("build.yaml", []byte("version: 2\n"))
	var le *located.Error
	if !errors.As(err, &le) || le.Line != 1 || le.Field != "version" {
		t.Fatalf("error %v is not a *located.Error at build.yaml:1 version", err)
	}
}
