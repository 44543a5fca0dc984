// Package depcheck lets a test hold a package to its layer: which packages
// it may import, directly or below, as ggcr's internal/depcheck does.
package depcheck

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Imports are pkg's own imports, without its tests'.
func Imports(t testing.TB, pkg string) []string {
	t.Helper()
	return list(t, "-f", `{{join .Imports "\n"}}`, pkg)
}

// Deps are every package pkg's non-test code depends on, pkg included.
// (Without -test, go list leaves out what only the tests import.)
func Deps(t testing.TB, pkg string) []string {
	t.Helper()
	deps := list(t, "-deps", pkg)
	if len(deps) < 2 {
		t.Fatalf("go list -deps %s listed %d packages: %q", pkg, len(deps), deps)
	}
	return deps
}

// Forbid fails t for each of deps that is one of forbidden or below one.
// "net" means package net itself (the sockets): net/url and net/netip
// only parse and stay allowed.
func Forbid(t testing.TB, pkg string, deps, forbidden []string) {
	t.Helper()
	for _, dep := range deps {
		for _, bad := range forbidden {
			if dep == bad || (bad != "net" && strings.HasPrefix(dep, bad+"/")) {
				t.Errorf("%s depends on %s (forbidden: %s)", pkg, dep, bad)
			}
		}
	}
}

func list(t testing.TB, args ...string) []string {
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
