package config

import (
	"path/filepath"

	"github.com/cairn-build/cairn/pkg/check"
)

// TargetChecks are one target's gates, with its structure tests merged in.
type TargetChecks struct {
	Spec check.Spec
	Lint *Lint // nil: no lint
}

// resolveChecks merges a target's container-structure-test files into its
// checks; paths are relative to build.yaml.
func (f *File) resolveChecks(t Target) (TargetChecks, error) {
	c := t.Checks
	field := "targets." + t.Name + ".checks"
	tc := TargetChecks{
		Spec: check.Spec{Files: c.Files, Metadata: c.Metadata, Commands: c.Commands, Efficiency: c.Efficiency},
		Lint: c.Lint,
	}
	for _, path := range c.StructureTests {
		if !filepath.IsAbs(path) && f.path != "(flags)" {
			path = filepath.Join(filepath.Dir(f.path), path)
		}
		cst, err := check.LoadStructureTest(path)
		if err != nil {
			return tc, f.errorAt(field+".structureTests", "%v", err)
		}
		tc.Spec.Files = append(tc.Spec.Files, cst.Files...)
		tc.Spec.Commands = append(tc.Spec.Commands, cst.Commands...)
		if cst.Metadata != nil {
			if tc.Spec.Metadata != nil {
				return tc, f.errorAt(field+".structureTests", "%s has a metadataTest and build.yaml has checks.metadata: keep one", path)
			}
			tc.Spec.Metadata = cst.Metadata
		}
	}
	if c.Lint != nil {
		for rule, sev := range c.Lint.Severity {
			switch sev {
			case "error", "warning", "info", "off":
			default:
				return tc, f.errorAt(field+".lint.severity", "rule %s: unknown severity %q: want error, warning, info or off", rule, sev)
			}
		}
	}
	return tc, nil
}
