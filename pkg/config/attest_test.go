package config

import (
	"maps"
	"testing"
)

func TestAttests(t *testing.T) {
	const file = `version: 1
repository: example.com/app
attest: { provenance: "mode=max", sbom: true }
targets:
  app: { tags: [v1], attest: { sbom: false } }
  tool: { tags: [v1] }
`
	tests := []struct {
		name      string
		yaml      string
		flags     AttestFlags
		vars      map[string]string
		target    string
		published bool
		want      Attests
	}{
		{name: "publish default", yaml: "version: 1\n", published: true, want: Attests{"provenance": DefaultProvenance}},
		{name: "no publish, no default", yaml: "version: 1\n", want: Attests{}},
		{name: "default off by env", yaml: "version: 1\n", vars: map[string]string{NoDefaultAttestations: "1"}, published: true, want: Attests{}},
		{name: "env any value", yaml: "version: 1\n", vars: map[string]string{NoDefaultAttestations: "false"}, published: true, want: Attests{}},
		{name: "env empty", yaml: "version: 1\n", vars: map[string]string{NoDefaultAttestations: ""}, published: true, want: Attests{"provenance": DefaultProvenance}},
		{name: "file", yaml: file, target: "tool", published: true, want: Attests{"provenance": "mode=max", "sbom": ""}},
		{name: "target overrides file", yaml: file, target: "app", published: true, want: Attests{"provenance": "mode=max", "sbom": AttestOff}},
		{name: "flags override", yaml: file, target: "tool", flags: AttestFlags{Provenance: "false", SBOM: "generator=example.com/scan:1"}, want: Attests{"provenance": AttestOff, "sbom": "generator=example.com/scan:1"}},
		{name: "provenance true", yaml: "version: 1\n", flags: AttestFlags{Provenance: "true"}, want: Attests{"provenance": ""}},
		{name: "provenance mode", yaml: "version: 1\n", flags: AttestFlags{Provenance: "mode=min"}, want: Attests{"provenance": "mode=min"}},
		{name: "attest entries", yaml: "version: 1\n", flags: AttestFlags{Attest: []string{"type=provenance,mode=max,builder-id=ci", "type=sbom,disabled=true"}}, published: true,
			want: Attests{"provenance": "mode=max,builder-id=ci", "sbom": AttestOff}},
		{name: "attest off turns the default off", yaml: "version: 1\n", flags: AttestFlags{Attest: []string{"type=provenance,disabled=true"}}, published: true, want: Attests{"provenance": AttestOff}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := resolve(t, tt.yaml, Overrides{Attest: tt.flags}, tt.vars)
			if got := b.Attests(tt.target, tt.published); !maps.Equal(got, tt.want) {
				t.Errorf("Attests = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAttestOnLeavesTheDisabledOut(t *testing.T) {
	got := Attests{"provenance": AttestOff, "sbom": "generator=x"}.On()
	if want := map[string]string{"sbom": "generator=x"}; !maps.Equal(got, want) {
		t.Errorf("On = %v, want %v", got, want)
	}
}

func TestAttestErrors(t *testing.T) {
	testResolveErrors(t, []resolveCase{
		{name: "file mode", yaml: "attest: { provenance: mode=full }\n", want: `build.yaml:2: attest.provenance: mode="full": want min or max`},
		{name: "target field", yaml: "targets:\n  app:\n    attest: { sbom: \"generator=\" }\n", want: "build.yaml:4: targets.app.attest.sbom: generator: want an image reference"},
		{name: "unknown key", yaml: "attest: { signature: true }\n", want: "build.yaml:2: attest.signature: unknown field"},
		{name: "provenance flag", o: Overrides{Attest: AttestFlags{Provenance: "max"}}, want: `Overrides.Attest.Provenance "max": "max": want KEY=VALUE`},
		{name: "attest without type", o: Overrides{Attest: AttestFlags{Attest: []string{"mode=max"}}}, want: `Overrides.Attest.Attest "mode=max": no type`},
		{name: "attest type", o: Overrides{Attest: AttestFlags{Attest: []string{"type=vex"}}}, want: `Overrides.Attest.Attest "type=vex": type "vex": want provenance or sbom`},
		{name: "attest twice", o: Overrides{Attest: AttestFlags{Attest: []string{"type=sbom", "type=sbom,generator=x"}}}, want: "Overrides.Attest.Attest \"type=sbom,generator=x\": type sbom given twice"},
		{name: "attest disabled", o: Overrides{Attest: AttestFlags{Attest: []string{"type=sbom,disabled=maybe"}}}, want: `Overrides.Attest.Attest "type=sbom,disabled=maybe": disabled="maybe"`},
	})
}
