package options

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/cairn-build/cairn/pkg/cairn"
	"github.com/cairn-build/cairn/pkg/config"
)

// TestEveryOverrideHasItsFlag: each field of config.Overrides has the flag
// that sets it, and each flag named is one cairn declares.
func TestEveryOverrideHasItsFlag(t *testing.T) {
	names := flagNames()
	var fields func(prefix string, typ reflect.Type)
	fields = func(prefix string, typ reflect.Type) {
		for f := range typ.Fields() {
			switch name := prefix + f.Name; {
			case f.Type.Kind() == reflect.Struct:
				fields(name+".", f.Type)
			case name == "Overrides.CheckoutBranch": // Load reads it from the checkout
			case name == "Overrides.CacheTo": // a bake file's; cairn writes its own caches
			case names[name] == "":
				t.Errorf("%s has no flag", name)
			}
		}
	}
	fields("Overrides.", reflect.TypeFor[config.Overrides]())
	declared := []string{"--push"} // cmd/cairn's build command's own
	for _, f := range slices.Concat(Build(), Attest()) {
		declared = append(declared, "--"+f.Names()[0])
	}
	for option, flag := range names {
		if !slices.Contains(declared, flag) {
			t.Errorf("%s: flag %s is not declared", option, flag)
		}
	}
}

// TestFlagsNameTheFlags: the library's errors about its options read, in
// the CLI, as they always have, with the flags' names.
func TestFlagsNameTheFlags(t *testing.T) {
	resolve := func(o config.Overrides) error {
		_, err := config.Default().Resolve(o, func(string) (string, bool) { return "", false })
		return err
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"one value", resolve(config.Overrides{Docker: config.DockerFlags{Network: "bridge"}}),
			`--network: unknown network "bridge": want default, none or host`},
		{"the value at fault", resolve(config.Overrides{Docker: config.DockerFlags{Labels: []string{"a=b", "=x"}}}),
			`--label "=x": want KEY=VALUE`},
		{"nested: a tag that needs a repository", resolve(config.Overrides{Tags: []string{"v1"}}),
			`--tag: tag "v1" needs a repository (set repository: or --repository)`},
		{"an attestation flag", resolve(config.Overrides{Attest: config.AttestFlags{Attest: []string{"type=sbom", "type=sbom"}}}),
			`--attest "type=sbom": type sbom given twice`},
		{"after the message of a publish that failed", errors.Join(resolve(config.Overrides{CacheMode: "all"}), cairn.ErrNothingPublished),
			"--cache-mode: unknown cache mode \"all\": want inline, max or off\n" + cairn.ErrNothingPublished.Error()},
		{"wrapped", fmt.Errorf("load: %w", resolve(config.Overrides{CacheWrite: "yes"})),
			`load: --cache-write: unknown cache write mode "yes": want auto, branch or none`},
		{"an option of Run", &config.OptionError{Option: "RunOptions.Push", Err: errors.New("nothing to publish")}, "--push: nothing to publish"},
		{"an option without a flag keeps its name", &config.OptionError{Option: "RunOptions.Registry", Err: errors.New("x")}, "RunOptions.Registry: x"},
		{"no option", errors.New("plain"), "plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Flags(tt.err)
			if got.Error() != tt.want {
				t.Errorf("Flags(%q) = %q, want %q", tt.err, got, tt.want)
			}
			var oe *config.OptionError
			if errors.As(tt.err, &oe) && (!errors.As(got, &oe) || !errors.Is(got, tt.err)) {
				t.Errorf("Flags(%q) hides the error it names", tt.err)
			}
		})
	}
	if Flags(nil) != nil {
		t.Error("Flags(nil) is not nil")
	}
}
