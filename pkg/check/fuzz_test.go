package check

import (
	"os"
	"testing"
)

// FuzzParseStructureTest: any input gives a Spec or an error, never a panic,
// and a Spec it returns is valid. Seeds: testdata/*.yaml and
// testdata/fuzz/FuzzParseStructureTest.
func FuzzParseStructureTest(f *testing.F) {
	for _, name := range []string{"testdata/structure-test.yaml", "testdata/malformed.yaml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := ParseStructureTest("fuzz.yaml", data)
		if err != nil {
			return
		}
		if err := spec.Validate(); err != nil {
			t.Errorf("returned an invalid spec: %v", err)
		}
	})
}
