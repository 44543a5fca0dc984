package testenv

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cairn-build/cairn/pkg/cairn"
)

// ValidateReport fails t unless data, a metadata file, matches
// cairn.ReportSchema.
func ValidateReport(t testing.TB, data []byte) {
	t.Helper()
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(cairn.ReportSchema))
	if err != nil {
		t.Fatalf("report schema: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("report.schema.json", schemaDoc); err != nil {
		t.Fatalf("report schema: %v", err)
	}
	schema, err := c.Compile("report.schema.json")
	if err != nil {
		t.Fatalf("compile report schema: %v", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("report is not JSON: %v", err)
	}
	if err := schema.Validate(doc); err != nil {
		var pretty bytes.Buffer
		_ = json.Indent(&pretty, data, "", "  ")
		t.Errorf("report does not match its schema: %v\n%s", err, pretty.String())
	}
}
