package check

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/cairn-build/cairn/internal/located"
)

// structureTestSchema is the only container-structure-test schema read.
const structureTestSchema = "2.0.0"

// StructureTestError is a problem in a container-structure-test file, at
// a line (0 when unknown) and a field like "metadataTest.envVars[0]"
// ("" when none). It is cairn's one located error type, so errors.As into
// a *located.Error finds it too.
type StructureTestError = located.Error

// yamlCause is a YAML error as the message shows it (without yaml.v3's
// "yaml: line N:" prefix), still unwrapping to yaml.v3's error.
type yamlCause struct {
	msg string
	err error
}

func (c *yamlCause) Error() string { return c.msg }
func (c *yamlCause) Unwrap() error { return c.err }

// LoadStructureTest reads a container-structure-test file (schemaVersion
// 2.0.0: fileExistenceTests, fileContentTests, metadataTest, commandTests)
// and converts it to a Spec.
func LoadStructureTest(path string) (Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Spec{}, fmt.Errorf("read structure test: %w", err)
	}
	return ParseStructureTest(path, data)
}

// ParseStructureTest converts a container-structure-test file's content;
// path names it in errors. Unknown fields are errors, and so are the
// features cairn does not run (globalEnvVars, licenseTests,
// containerRunOptions, a command's envVars), so no test is silently
// dropped. A command's teardown is ignored: the container is discarded.
func ParseStructureTest(path string, data []byte) (Spec, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return Spec{}, &StructureTestError{File: path, Msg: "empty file: want schemaVersion: " + structureTestSchema}
		}
		return Spec{}, yamlError(path, err)
	}
	if len(doc.Content) == 0 {
		return Spec{}, &StructureTestError{File: path, Msg: "empty document: want schemaVersion: " + structureTestSchema}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return Spec{}, &StructureTestError{File: path, Line: root.Line, Msg: "want a mapping with schemaVersion: " + structureTestSchema}
	}
	if err := checkSchema(path, root); err != nil {
		return Spec{}, err
	}
	var f cstFile
	if err := (&keyChecker{file: path, seen: map[keySeen]bool{}}).check(root, reflect.TypeOf(f), ""); err != nil {
		return Spec{}, err
	}
	if err := root.Decode(&f); err != nil {
		return Spec{}, yamlError(path, err)
	}
	spec, err := f.spec(path)
	if err != nil {
		return Spec{}, err
	}
	if err := spec.Validate(); err != nil {
		return Spec{}, &StructureTestError{File: path, Msg: "invalid checks", Err: err}
	}
	return spec, nil
}

func checkSchema(path string, root *yaml.Node) error {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "schemaVersion" {
			continue
		}
		v := root.Content[i+1]
		if v.Kind != yaml.ScalarNode || v.Value != structureTestSchema {
			return &StructureTestError{File: path, Line: v.Line, Field: "schemaVersion", Msg: fmt.Sprintf("unsupported schema version %q: want %q", v.Value, structureTestSchema)}
		}
		return nil
	}
	return &StructureTestError{File: path, Line: root.Line, Msg: "missing schemaVersion: want " + structureTestSchema}
}

// yamlError turns yaml.v3's "yaml: line 3: msg" (or a type error's first
// "line 3: msg") into a StructureTestError at that line.
func yamlError(path string, err error) error {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	e := &StructureTestError{File: path, Msg: "invalid YAML", Err: &yamlCause{msg: msg, err: err}}
	if m := regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`).FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1]) // the regexp matched digits
		e.Err = &yamlCause{msg: m[2], err: err}
	}
	return e
}
