// Package depcheck lets a package's tests enforce its layering, as
// go-containerregistry's internal/depcheck does: which packages it may not
// depend on, or import itself.
package depcheck

import (
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// Deps fails t when pkg depends, through any of its non-test imports, on a
// package in forbidden or below one, or on package net itself (the
// sockets; net/url and net/netip only parse) when noNet is set.
func Deps(t *testing.T, pkg string, noNet bool, forbidden ...string) {
	t.Helper()
	deps := list(t, "-deps", pkg)
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed %d packages: %q", len(deps), deps)
	}
	check(t, pkg, deps, forbidden)
	if noNet && slices.Contains(deps, "net") {
		t.Errorf("%s depends on package net", pkg)
	}
}

// Imports fails t when pkg's own non-test files import a package in
// forbidden or below one: what it may reach only through other packages.
func Imports(t *testing.T, pkg string, forbidden ...string) {
	t.Helper()
	check(t, pkg, list(t, "-f", "{{join .Imports \"\\n\"}}", pkg), forbidden)
}

func check(t *testing.T, pkg string, deps, forbidden []string) {
	t.Helper()
	for _, dep := range deps {
		for _, bad := range forbidden {
			if dep == bad || strings.HasPrefix(dep, bad+"/") {
				t.Errorf("%s depends on %s (forbidden: %s)", pkg, dep, bad)
			}
		}
	}
}

// list runs go list; without -test it reports the package's own imports
// only, so what its tests import does not count.
func list(t *testing.T, args ...string) []string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, gobin, append([]string{"list"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.Fields(string(out))
}
