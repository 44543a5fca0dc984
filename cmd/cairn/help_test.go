package main

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cairn-build/cairn/pkg/cairn/options"
)

// TestHelpFits renders the help of cairn and of every command and fails on
// a line wider than options.HelpWidth, or on a flag the help leaves out.
func TestHelpFits(t *testing.T) {
	app := newApp(nil, nil)
	helps := [][]string{{"--help"}}
	for _, cmd := range app.Commands {
		helps = append(helps, []string{cmd.Name, "--help"})
	}
	for _, args := range helps {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(append([]string{"cairn"}, args...), &out, &errOut); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			for i, line := range strings.Split(out.String(), "\n") {
				if n := utf8.RuneCountInString(line); n > options.HelpWidth {
					t.Errorf("line %d is %d columns (over %d):\n%s", i+1, n, options.HelpWidth, line)
				}
			}
			if len(args) == 1 {
				return
			}
			for _, f := range app.Command(args[0]).Flags {
				if name := f.Names()[0]; !strings.Contains(out.String(), "--"+name+" ") && !strings.Contains(out.String(), "--"+name+",") {
					t.Errorf("--%s is missing from the help", name)
				}
			}
		})
	}
}

func TestFlagHelpGroups(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"cairn", "build", "--help"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	help := out.String()
	last := -1
	for _, heading := range []string{"\nBUILD OPTIONS:", "\nCACHE OPTIONS:", "\nDAEMON OPTIONS:", "\nOUTPUT OPTIONS:", "\nPUBLISH OPTIONS:", "\nREGISTRY OPTIONS:"} {
		i := strings.Index(help, heading)
		if i <= last {
			t.Errorf("heading %q at %d, want after %d in:\n%s", heading[1:], i, last, help)
		}
		last = i
	}
	// A repeatable flag is listed once, its placeholder not repeated.
	if !strings.Contains(help, "   --tag, -t REF ") || strings.Contains(help, "[ --tag") {
		t.Errorf("--tag is not listed as --tag, -t REF:\n%s", help)
	}
}
