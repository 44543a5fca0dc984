package check

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestLoadStructureTest(t *testing.T) {
	got, err := LoadStructureTest("testdata/structure-test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := Spec{
		Files: []FileCheck{
			{Name: "api binary", Path: "/usr/local/bin/api", Exists: ptr(true), Permissions: "-rwxr-xr-x", UID: ptr(0), GID: ptr(0), Executable: "any"},
			{Name: "no package manager cache", Path: "/var/cache/apk", Exists: ptr(false)},
			{Name: "config dir", Path: "/etc/api", GID: ptr(1000)},
			// container-structure-test ignores the rest when shouldExist is false.
			{Name: "no shell history", Path: "/root/.ash_history", Exists: ptr(false)},
			{Name: "api user", Path: "/etc/passwd", Contains: []string{"^api:x:1000:1000:"}, Excludes: []string{"^toor:"}},
			{Name: "CA bundle", Path: "/etc/ssl/certs/ca-certificates.crt", Contains: []string{"BEGIN CERTIFICATE"}},
		},
		Metadata: &MetadataCheck{
			Env: map[string]string{
				"PATH":        `^/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin$`,
				"API_VERSION": `^\d+\.\d+\.\d+$`,
			},
			Labels:           map[string]string{"org.opencontainers.image.source": `^https://github\.com/example/api$`},
			ExposedPorts:     []string{"8080"},
			UnexposedPorts:   []string{"22"},
			Volumes:          []string{"/var/lib/api"},
			UnmountedVolumes: []string{"/tmp"},
			Entrypoint:       []string{"/usr/local/bin/api"},
			Cmd:              []string{},
			Workdir:          "/srv",
			User:             "api",
		},
		Commands: []CommandCheck{
			{Name: "version", Command: "/usr/local/bin/api", Args: []string{"--version"}, ExpectedOutput: []string{`^api v\d+`}},
			{
				Name:    "migrations present",
				Setup:   []string{"mkdir -p /tmp/probe", `touch '/tmp/probe/it'\''s here'`},
				Command: "ls", Args: []string{"/srv/migrations"},
				ExpectedOutput: []string{`\.sql`}, ExcludedError: []string{"No such file"},
			},
			{Name: "refuses unknown flags", Command: "/usr/local/bin/api", Args: []string{"--bogus"}, ExitCode: 2, ExpectedError: []string{"unknown flag"}, ExcludedOutput: []string{".+"}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}
	if got.Metadata.Cmd == nil {
		t.Error("cmd: [] must stay an empty list (must be empty), not nil (not checked)")
	}
}

func TestParseStructureTestErrors(t *testing.T) {
	malformed, err := os.ReadFile("testdata/malformed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data string
		want string
		line int
	}{
		{"malformed", string(malformed), "cst.yaml:2: invalid YAML: did not find expected '-' indicator", 2},
		{"empty", "", "cst.yaml: empty file", 0},
		{"not a mapping", "- a\n", "cst.yaml:1: want a mapping", 1},
		{"schema missing", "commandTests: []\n", "cst.yaml:1: missing schemaVersion: want 2.0.0", 1},
		{"schema wrong", "\nschemaVersion: 1.0.0\n", `cst.yaml:2: schemaVersion: unsupported schema version "1.0.0": want "2.0.0"`, 2},
		{"unknown field", "schemaVersion: 2.0.0\nmetadataTest:\n  envVars: []\n  enVars: []\n", "cst.yaml:4: metadataTest.enVars: unknown field (known: envVars, labels,", 4},
		{"unknown nested field", "schemaVersion: 2.0.0\nfileExistenceTests:\n  - path: /a\n  - path: /b\n    shouldexist: false\n", "cst.yaml:5: fileExistenceTests[1].shouldexist: unknown field", 5},
		{"unsupported", "schemaVersion: 2.0.0\nglobalEnvVars:\n  - key: A\n    value: b\n", "cst.yaml:2: globalEnvVars: not supported by cairn", 2},
		{"unsupported command env", "schemaVersion: 2.0.0\ncommandTests:\n  - command: env\n    envVars: []\n", "cst.yaml:4: commandTests[0].envVars: not supported by cairn", 4},
		{"wrong type", "schemaVersion: 2.0.0\ncommandTests:\n  - command: env\n    exitCode: one\n", "cst.yaml:4: invalid YAML: cannot unmarshal", 4},
		{"duplicate key", "schemaVersion: 2.0.0\nschemaVersion: 2.0.0\n", "cst.yaml:2: invalid YAML: mapping key \"schemaVersion\" already defined", 2},
		{"empty setup command", "schemaVersion: 2.0.0\ncommandTests:\n  - command: ls\n    setup: [[]]\n", "cst.yaml: commandTests[0].setup: command 0 is empty", 0},
		{"invalid regex", "schemaVersion: 2.0.0\nfileContentTests:\n  - path: /a\n    expectedContents: ['(']\n", "cst.yaml: invalid checks: files[0].contains[0]: invalid regex", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseStructureTest("cst.yaml", []byte(tt.data))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("err = %v, want prefix %q", err, tt.want)
			}
			var se *StructureTestError
			if !errors.As(err, &se) || se.Line != tt.line {
				t.Errorf("err %#v, want a StructureTestError at line %d", err, tt.line)
			}
		})
	}
}

func TestLoadStructureTestMissingFile(t *testing.T) {
	_, err := LoadStructureTest("testdata/nope.yaml")
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want ErrNotExist", err)
	}
}
