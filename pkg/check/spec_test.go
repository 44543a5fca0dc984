package check

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		want []string // FieldError fields, in order
	}{
		{"empty", Spec{}, nil},
		{"valid", Spec{
			Files:      []FileCheck{{Path: "/bin/sh", Permissions: "0755", Executable: "any", Contains: []string{"."}}},
			Metadata:   &MetadataCheck{Env: map[string]string{"A": "."}, ExposedPorts: []string{"80", "53/udp"}},
			Commands:   []CommandCheck{{Command: "true"}},
			Efficiency: &EfficiencyCheck{LowestEfficiency: 0.9, HighestWastedBytes: "20MB", HighestUserWastedPercent: 1.5},
		}, nil},
		{"files", Spec{Files: []FileCheck{
			{Path: "bin/sh"},
			{Path: "/x", Permissions: "rwxr-xr-x"},
			{Path: "/x", Permissions: "-rwsr-xr-x"},
			{Path: "/x", Executable: "everyone"},
			{Path: "/x", Exists: ptr(false), UID: ptr(0)},
			{Path: "/x", Contains: []string{"ok", "("}, Excludes: []string{"["}},
		}}, []string{"files[0].path", "files[1].permissions", "files[2].permissions", "files[3].executable", "files[4].exists", "files[5].contains[1]", "files[5].excludes[0]"}},
		{"metadata", Spec{Metadata: &MetadataCheck{
			Env:            map[string]string{"B": "(", "A": "["},
			Labels:         map[string]string{"l": "*"},
			ExposedPorts:   []string{"http"},
			UnexposedPorts: []string{"80/icmp", "70000"},
		}}, []string{"metadata.env.A[0]", "metadata.env.B[0]", "metadata.labels.l[0]", "metadata.exposedPorts[0]", "metadata.unexposedPorts[0]", "metadata.unexposedPorts[1]"}},
		{"commands", Spec{Commands: []CommandCheck{{ExpectedError: []string{"("}}}}, []string{"commands[0].command", "commands[0].expectedError[0]"}},
		{"efficiency", Spec{Efficiency: &EfficiencyCheck{LowestEfficiency: 1.5, HighestWastedBytes: "lots", HighestUserWastedPercent: -1}},
			[]string{"efficiency.lowestEfficiency", "efficiency.highestUserWastedPercent", "efficiency.highestWastedBytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			if err := tt.spec.Validate(); err != nil {
				for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
					var fe *FieldError
					if !errors.As(e, &fe) {
						t.Fatalf("%v is not a *FieldError", e)
					}
					got = append(got, fe.Field)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("fields %q, want %q", got, tt.want)
			}
		})
	}
}

// pkg/config's strict decoder fills Spec by reflection: it walks yaml tags
// of plain structs and knows only a few kinds, and a custom UnmarshalYAML
// would bypass its line-numbered errors.
func TestSpecTypesArePlain(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type, string)
	walk = func(typ reflect.Type, at string) {
		if seen[typ] {
			return
		}
		seen[typ] = true
		if _, ok := reflect.PointerTo(typ).MethodByName("UnmarshalYAML"); ok {
			t.Errorf("%s: %s has UnmarshalYAML", at, typ)
		}
		switch typ.Kind() {
		case reflect.Struct:
			for i := 0; i < typ.NumField(); i++ {
				f := typ.Field(i)
				tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
				if !f.IsExported() || tag == "" || tag == "-" {
					t.Errorf("%s.%s: want an exported field with a yaml tag", at, f.Name)
				}
				walk(f.Type, at+"."+tag)
			}
		case reflect.Slice:
			if typ.Elem().Kind() == reflect.Slice {
				t.Errorf("%s: %s: the decoder reads lists of scalars, not lists of lists", at, typ)
			}
			walk(typ.Elem(), at)
		case reflect.Pointer:
			walk(typ.Elem(), at)
		case reflect.Map:
			if typ.Key().Kind() != reflect.String || typ.Elem().Kind() != reflect.String {
				t.Errorf("%s: %s, want map[string]string", at, typ)
			}
		case reflect.String, reflect.Int, reflect.Int64, reflect.Bool, reflect.Float64:
		default:
			t.Errorf("%s: kind %s is not decodable", at, typ.Kind())
		}
	}
	walk(reflect.TypeOf(Spec{}), "checks")
}
