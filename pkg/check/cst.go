package check

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// container-structure-test's schema 2.0.0, as far as cairn reads it.
// Fields tagged cst:"unsupported" are known but refused.
type cstFile struct {
	SchemaVersion       string             `yaml:"schemaVersion"`
	FileExistenceTests  []cstFileExistence `yaml:"fileExistenceTests"`
	FileContentTests    []cstFileContent   `yaml:"fileContentTests"`
	MetadataTest        *cstMetadata       `yaml:"metadataTest"`
	CommandTests        []cstCommand       `yaml:"commandTests"`
	GlobalEnvVars       any                `yaml:"globalEnvVars" cst:"unsupported"`
	LicenseTests        any                `yaml:"licenseTests" cst:"unsupported"`
	ContainerRunOptions any                `yaml:"containerRunOptions" cst:"unsupported"`
}

type cstFileExistence struct {
	Name           string `yaml:"name"`
	Path           string `yaml:"path"`
	ShouldExist    *bool  `yaml:"shouldExist"` // default true
	Permissions    string `yaml:"permissions"`
	UID            *int   `yaml:"uid"` // default (and -1): not checked
	GID            *int   `yaml:"gid"`
	IsExecutableBy string `yaml:"isExecutableBy"`
}

type cstFileContent struct {
	Name             string   `yaml:"name"`
	Path             string   `yaml:"path"`
	ExpectedContents []string `yaml:"expectedContents"`
	ExcludedContents []string `yaml:"excludedContents"`
}

type cstKeyValue struct {
	Key     string `yaml:"key"`
	Value   string `yaml:"value"`
	IsRegex bool   `yaml:"isRegex"`
}

type cstMetadata struct {
	EnvVars          []cstKeyValue `yaml:"envVars"`
	Labels           []cstKeyValue `yaml:"labels"`
	ExposedPorts     []string      `yaml:"exposedPorts"`
	UnexposedPorts   []string      `yaml:"unexposedPorts"`
	Volumes          []string      `yaml:"volumes"`
	UnmountedVolumes []string      `yaml:"unmountedVolumes"`
	Entrypoint       []string      `yaml:"entrypoint"`
	Cmd              []string      `yaml:"cmd"`
	Workdir          string        `yaml:"workdir"`
	User             string        `yaml:"user"`
}

type cstCommand struct {
	Name           string     `yaml:"name"`
	Setup          [][]string `yaml:"setup"`
	Teardown       [][]string `yaml:"teardown"`
	EnvVars        any        `yaml:"envVars" cst:"unsupported"`
	Command        string     `yaml:"command"`
	Args           []string   `yaml:"args"`
	ExitCode       int        `yaml:"exitCode"`
	ExpectedOutput []string   `yaml:"expectedOutput"`
	ExcludedOutput []string   `yaml:"excludedOutput"`
	ExpectedError  []string   `yaml:"expectedError"`
	ExcludedError  []string   `yaml:"excludedError"`
}

// spec converts the tests, in file order: existence then content tests.
func (f cstFile) spec(file string) (Spec, error) {
	var s Spec
	for _, t := range f.FileExistenceTests {
		s.Files = append(s.Files, t.check())
	}
	for _, t := range f.FileContentTests {
		s.Files = append(s.Files, FileCheck{Name: t.Name, Path: t.Path, Contains: t.ExpectedContents, Excludes: t.ExcludedContents})
	}
	if f.MetadataTest != nil {
		s.Metadata = f.MetadataTest.check()
	}
	for i, t := range f.CommandTests {
		c, err := t.check()
		if err != nil {
			return Spec{}, &StructureTestError{File: file, Field: fmt.Sprintf("commandTests[%d].setup", i), Msg: err.Error()}
		}
		s.Commands = append(s.Commands, c)
	}
	return s, nil
}

// check keeps only the absence check when the path must not exist, as
// container-structure-test does.
func (t cstFileExistence) check() FileCheck {
	c := FileCheck{Name: t.Name, Path: t.Path, Exists: t.ShouldExist}
	if !c.mustExist() {
		return c
	}
	c.Permissions, c.Executable = t.Permissions, t.IsExecutableBy
	if t.UID != nil && *t.UID >= 0 {
		c.UID = t.UID
	}
	if t.GID != nil && *t.GID >= 0 {
		c.GID = t.GID
	}
	return c
}

func (t cstMetadata) check() *MetadataCheck {
	return &MetadataCheck{
		Env: keyValues(t.EnvVars), Labels: keyValues(t.Labels),
		ExposedPorts: t.ExposedPorts, UnexposedPorts: t.UnexposedPorts,
		Volumes: t.Volumes, UnmountedVolumes: t.UnmountedVolumes,
		Entrypoint: t.Entrypoint, Cmd: t.Cmd, Workdir: t.Workdir, User: t.User,
	}
}

// keyValues turns key/value pairs into name → regex; a plain value must
// match exactly.
func keyValues(kvs []cstKeyValue) map[string]string {
	if kvs == nil {
		return nil
	}
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
		if !kv.IsRegex {
			m[kv.Key] = "^" + regexp.QuoteMeta(kv.Value) + "$"
		}
	}
	return m
}

// check turns each setup argv into a shell line (CommandCheck.Setup).
func (t cstCommand) check() (CommandCheck, error) {
	c := CommandCheck{
		Name: t.Name, Command: t.Command, Args: t.Args, ExitCode: t.ExitCode,
		ExpectedOutput: t.ExpectedOutput, ExcludedOutput: t.ExcludedOutput,
		ExpectedError: t.ExpectedError, ExcludedError: t.ExcludedError,
	}
	for i, argv := range t.Setup {
		if len(argv) == 0 {
			return CommandCheck{}, fmt.Errorf("command %d is empty", i)
		}
		c.Setup = append(c.Setup, commandLine(argv[0], argv[1:]))
	}
	return c, nil
}

// keyChecker rejects mapping keys the target type has no field for, so a
// typo does not silently drop a test; yaml.v3's KnownFields would name Go
// types instead of the file's fields.
type keyChecker struct {
	file string
	// seen stops aliases from being walked twice (and alias bombs).
	seen map[keySeen]bool
}

type keySeen struct {
	node *yaml.Node
	typ  reflect.Type
}

func (k *keyChecker) check(node *yaml.Node, t reflect.Type, field string) error {
	if node.Kind == yaml.AliasNode && node.Alias != nil {
		node = node.Alias
	}
	if k.seen[keySeen{node, t}] {
		return nil
	}
	k.seen[keySeen{node, t}] = true
	switch {
	case t.Kind() == reflect.Pointer:
		return k.check(node, t.Elem(), field)
	case t.Kind() == reflect.Slice && node.Kind == yaml.SequenceNode:
		for i, item := range node.Content {
			if err := k.check(item, t.Elem(), fmt.Sprintf("%s[%d]", field, i)); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Struct && node.Kind == yaml.MappingNode:
		return k.checkStruct(node, t, field)
	}
	return nil // wrong kinds are left to Decode, which names the line
}

func (k *keyChecker) checkStruct(node *yaml.Node, t reflect.Type, field string) error {
	for i := 0; i+1 < len(node.Content); i += 2 {
		key := node.Content[i]
		sf, ok := fieldByTag(t, key.Value)
		path := joinField(field, key.Value)
		switch {
		case !ok:
			return &StructureTestError{File: k.file, Line: key.Line, Field: path, Msg: "unknown field (known: " + strings.Join(tags(t), ", ") + ")"}
		case sf.Tag.Get("cst") == "unsupported":
			return &StructureTestError{File: k.file, Line: key.Line, Field: path, Msg: "not supported by cairn"}
		}
		if err := k.check(node.Content[i+1], sf.Type, path); err != nil {
			return err
		}
	}
	return nil
}

func fieldByTag(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		if strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0] == name {
			return t.Field(i), true
		}
	}
	return reflect.StructField{}, false
}

func tags(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Tag.Get("cst") != "unsupported" {
			out = append(out, strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0])
		}
	}
	return out
}

func joinField(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
