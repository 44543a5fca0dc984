package config

import (
	"os"
	"path/filepath"
	"testing"
)

const withChecks = `version: 1
repository: reg.example.com/app
targets:
  runtime:
    checks:
      structureTests: [cst.yaml]
      files:
        - path: /app/run
          executable: any
      commands:
        - command: /app/run
          args: [--version]
          expectedOutput: ["^v1"]
      efficiency:
        highestWastedBytes: 1MB
      lint:
        ignore: [DL3007]
        severity: { CAIRN002: error }
`

const cst = `schemaVersion: 2.0.0
fileExistenceTests:
  - name: no shadow
    path: /etc/shadow
    shouldExist: false
metadataTest:
  user: nobody
`

func TestChecksWithStructureTests(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"build.yaml": withChecks, "cst.yaml": cst} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := Load(filepath.Join(dir, "build.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Resolve(Overrides{}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	c, ok := b.Checks["runtime"]
	if !ok {
		t.Fatalf("no checks for runtime: %v", b.Checks)
	}
	if got := len(c.Spec.Files); got != 2 || c.Spec.Files[0].Path != "/app/run" || c.Spec.Files[1].Path != "/etc/shadow" {
		t.Errorf("files %+v: want build.yaml's, then the structure test's", c.Spec.Files)
	}
	if c.Spec.Metadata == nil || c.Spec.Metadata.User != "nobody" {
		t.Errorf("metadata %+v: want the structure test's", c.Spec.Metadata)
	}
	if len(c.Spec.Commands) != 1 || c.Spec.Commands[0].Args[0] != "--version" || c.Spec.Efficiency.HighestWastedBytes != "1MB" {
		t.Errorf("commands %+v, efficiency %+v", c.Spec.Commands, c.Spec.Efficiency)
	}
	if c.Lint == nil || c.Lint.Ignore[0] != "DL3007" || c.Lint.Severity["CAIRN002"] != "error" {
		t.Errorf("lint %+v", c.Lint)
	}
}

func TestCheckErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"typo in a file check", "version: 1\ntargets:\n  a:\n    checks:\n      files:\n        - path: /x\n        - pathh: /y\n",
			`build.yaml:7: targets.a.checks.files[1].pathh: unknown field (did you mean "path"?)`},
		{"files not a list", "version: 1\ntargets:\n  a:\n    checks:\n      files: /x\n",
			`build.yaml:5: targets.a.checks.files: want a list, got "/x"`},
		{"bad severity", "version: 1\ntargets:\n  a:\n    checks:\n      lint:\n        severity: { DL3007: fatal }\n",
			`build.yaml:6: targets.a.checks.lint.severity: rule DL3007: unknown severity "fatal": want error, warning, info or off`},
		{"missing structure test", "version: 1\ntargets:\n  a:\n    checks:\n      structureTests: [nope.yaml]\n",
			"build.yaml:5: targets.a.checks.structureTests:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("build.yaml", []byte(tt.yaml))
			if err == nil {
				_, err = f.Resolve(Overrides{}, env(nil))
			}
			if err == nil || len(err.Error()) < len(tt.want) || err.Error()[:len(tt.want)] != tt.want {
				t.Errorf("error:\n got %v\nwant %s", err, tt.want)
			}
		})
	}
}
