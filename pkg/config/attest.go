package config

import (
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/tonistiigi/go-csvvalue"
)

// Attestation types BuildKit's Dockerfile frontend makes (its attest:TYPE
// attributes).
const (
	AttestProvenance = "provenance"
	AttestSBOM       = "sbom"
)

// AttestOff is the value of a type in Attests that was turned off
// (provenance: false): BuildKit gets no attribute for it, and no default
// applies.
const AttestOff = "disabled=true"

// Attest is build.yaml's attest: (top level, or a target's, which
// overrides it type by type), in buildx's --provenance and --sbom syntax:
// true, false, or the attributes as CSV (provenance "mode=max", sbom
// "generator=IMAGE").
type Attest struct {
	Provenance string `yaml:"provenance"`
	SBOM       string `yaml:"sbom"`
}

// AttestFlags are buildx's attestation flags as given: --provenance and
// --sbom ("" when not given), and --attest type=TYPE[,KEY=VALUE…] entries.
type AttestFlags struct {
	Provenance string
	SBOM       string
	Attest     []string
}

// Attests are a target's attestations by type: the attributes BuildKit's
// attest:TYPE takes ("" for its defaults), or AttestOff. A type not in it
// was not asked for either way: provenance then takes the publish default.
type Attests map[string]string

// On are the types asked for, with their attributes: those turned off left out.
func (a Attests) On() map[string]string {
	on := maps.Clone(map[string]string(a))
	maps.DeleteFunc(on, func(_, v string) bool { return v == AttestOff })
	return on
}

// NoDefaultAttestations is the variable that turns the publish default
// off, as it does for buildx: any value but "" does.
const NoDefaultAttestations = "BUILDX_NO_DEFAULT_ATTESTATIONS"

// DefaultProvenance is the provenance a published image gets when none is
// asked for either way: buildx's default, on daemons that support
// attestations (BuildKit v0.11 and later).
const DefaultProvenance = "mode=min,inline-only=true"

// Attests are the attestations of the target's image: build.yaml's
// attest:, the target's own over it, and the flags over both; when
// published, DefaultProvenance unless provenance was set or
// NoDefaultAttestations is.
func (b *Build) Attests(target string, published bool) Attests {
	out := maps.Clone(b.attests.file)
	if out == nil {
		out = Attests{}
	}
	maps.Copy(out, b.attests.targets[target])
	maps.Copy(out, b.attests.flags)
	if _, set := out[AttestProvenance]; !set && published && !b.attests.noDefault {
		out[AttestProvenance] = DefaultProvenance
	}
	return out
}

// attestLayers are the three sources of Attests, each checked.
type attestLayers struct {
	file      Attests
	targets   map[string]Attests
	flags     Attests
	noDefault bool // NoDefaultAttestations is set
}

func (b *Build) resolveAttests(f *File, fl AttestFlags) error {
	if v, _ := b.lookupEnv(NoDefaultAttestations); v != "" {
		b.attests.noDefault = true
	}
	var err error
	if b.attests.file, err = f.Attest.resolve(f, "attest"); err != nil {
		return err
	}
	b.attests.targets = map[string]Attests{}
	for _, t := range f.Targets {
		if t.Attest == nil {
			continue
		}
		if b.attests.targets[t.Name], err = t.Attest.resolve(f, "targets."+t.Name+".attest"); err != nil {
			return err
		}
	}
	b.attests.flags, err = fl.resolve()
	return err
}

func (a Attest) resolve(f *File, field string) (Attests, error) {
	return attestValues(a.Provenance, a.SBOM, func(typ, _ string, err error) error {
		return f.errorAt(field+"."+typ, "%v", err)
	})
}

func (fl AttestFlags) resolve() (Attests, error) {
	out, err := attestValues(fl.Provenance, fl.SBOM, func(typ, value string, err error) error {
		return overrideError(map[string]string{AttestProvenance: "Attest.Provenance", AttestSBOM: "Attest.SBOM"}[typ], value, err)
	})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, s := range fl.Attest {
		typ, v, err := parseAttest(s)
		if err != nil {
			return nil, overrideError("Attest.Attest", s, err)
		}
		if seen[typ] {
			return nil, overrideError("Attest.Attest", s, fmt.Errorf("type %s given twice", typ))
		}
		seen[typ] = true
		out[typ] = v
	}
	return out, nil
}

// attestValues are the provenance and sbom attestations of their values
// ("" for none); bad is the error of a value attestValue rejects, by type.
func attestValues(provenance, sbom string, bad func(typ, value string, err error) error) (Attests, error) {
	out := Attests{}
	for _, e := range [...]struct{ typ, value string }{{AttestProvenance, provenance}, {AttestSBOM, sbom}} {
		if e.value == "" {
			continue
		}
		v, err := attestValue(e.typ, e.value)
		if err != nil {
			return nil, bad(e.typ, e.value, err)
		}
		out[e.typ] = v
	}
	return out, nil
}

// attestValue reads --provenance/--sbom's value as buildx does: a boolean
// turns the type on with its defaults or off; anything else is its
// attributes.
func attestValue(typ, value string) (string, error) {
	if on, err := strconv.ParseBool(value); err == nil {
		if !on {
			return AttestOff, nil
		}
		return "", nil
	}
	_, v, err := parseAttest("type=" + typ + "," + value)
	return v, err
}

// parseAttest reads an --attest entry, type=TYPE[,disabled=BOOL][,KEY=VALUE…],
// into its type and the attributes BuildKit takes (type and disabled
// dropped), or AttestOff.
func parseAttest(s string) (typ, attrs string, err error) {
	fields, err := csvvalue.Fields(s, nil)
	if err != nil {
		return "", "", err
	}
	var kept []string
	off := false
	for _, field := range fields {
		k, v, ok := strings.Cut(field, "=")
		if !ok {
			return "", "", fmt.Errorf("%q: want KEY=VALUE", field)
		}
		switch key := strings.ToLower(strings.TrimSpace(k)); key {
		case "type":
			typ = v
		case "disabled":
			if off, err = strconv.ParseBool(v); err != nil {
				return "", "", fmt.Errorf("disabled=%q: want true or false", v)
			}
		case "mode":
			if v != "min" && v != "max" {
				return "", "", fmt.Errorf("mode=%q: want min or max", v)
			}
			kept = append(kept, field)
		case "generator":
			if v == "" {
				return "", "", fmt.Errorf("generator: want an image reference")
			}
			kept = append(kept, field)
		default:
			kept = append(kept, field)
		}
	}
	switch {
	case typ == "":
		return "", "", fmt.Errorf("no type: want type=provenance or type=sbom")
	case typ != AttestProvenance && typ != AttestSBOM:
		return "", "", fmt.Errorf("type %q: want provenance or sbom", typ)
	case off:
		return typ, AttestOff, nil
	}
	return typ, csvJoin(kept), nil
}

// csvJoin joins fields as CSV, quoting those that need it.
func csvJoin(fields []string) string {
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		if strings.ContainsAny(f, ",\"\n") {
			f = `"` + strings.ReplaceAll(f, `"`, `""`) + `"`
		}
		b.WriteString(f)
	}
	return b.String()
}

func (b *Build) lookupEnv(name string) (string, bool) {
	if b.env == nil {
		return "", false
	}
	return b.env(name)
}
