package check

import (
	"strings"
	"testing"
)

func TestEvaluateCommand(t *testing.T) {
	version := CommandCheck{Command: "app", Args: []string{"--version"}, ExpectedOutput: []string{`^app v\d+`}}
	tests := []struct {
		name           string
		check          CommandCheck
		stdout, stderr string
		exit           int
		pass           bool
		msg            string
	}{
		{"passes", version, "app v1.2\n", "", 0, true, "exit code 0, 1 expected pattern(s) matched"},
		{"exit code mismatch", version, "app v1.2\n", "boom\n", 2, false, `exit code 2, want 0; stderr: "boom\n"`},
		{"expected exit code", CommandCheck{Command: "false", ExitCode: 1}, "", "", 1, true, "exit code 1"},
		{"expected output missing", version, "usage\n", "", 0, false, `stdout does not match "^app v\\d+"; stdout: "usage\n"`},
		{"excluded output", CommandCheck{Command: "env", ExcludedOutput: []string{`SECRET=`}}, "SECRET=x\n", "", 0, false, `stdout matches excluded "SECRET="`},
		{"expected error", CommandCheck{Command: "app", ExpectedError: []string{`warning`}}, "", "warning: old\n", 0, true, ""},
		{"expected error missing", CommandCheck{Command: "app", ExpectedError: []string{`warning`}}, "", "all good\n", 0, false, `stderr does not match "warning"; stderr: "all good\n"`},
		{"excluded error", CommandCheck{Command: "app", ExcludedError: []string{`(?i)panic`}}, "", "PANIC\n", 0, false, `stderr matches excluded "(?i)panic"`},
		{"invalid regex", CommandCheck{Command: "app", ExpectedOutput: []string{`(`}}, "", "", 0, false, "invalid regex"},
		{"every problem", CommandCheck{Command: "app", ExpectedOutput: []string{`a`}, ExcludedError: []string{`b`}}, "", "b", 3, false, `exit code 3, want 0; stdout does not match "a"; stderr matches excluded "b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := EvaluateCommand(tt.check, tt.stdout, tt.stderr, tt.exit)
			if r.Passed != tt.pass || !strings.Contains(r.Message, tt.msg) || r.Kind != KindCommand {
				t.Errorf("got %+v; want passed %v, message containing %q", r, tt.pass, tt.msg)
			}
		})
	}
}

func TestCommandName(t *testing.T) {
	tests := []struct {
		check CommandCheck
		want  string
	}{
		{CommandCheck{Name: "version", Command: "app"}, "version"},
		{CommandCheck{Command: "app", Args: []string{"--version"}}, "app --version"},
		{CommandCheck{Command: "sh", Args: []string{"-c", "echo 'hi' $HOME"}}, `sh -c 'echo '\''hi'\'' $HOME'`},
		{CommandCheck{Command: "printf", Args: []string{""}}, "printf ''"},
	}
	for _, tt := range tests {
		if got := EvaluateCommand(tt.check, "", "", 0).Name; got != tt.want {
			t.Errorf("name %q, want %q", got, tt.want)
		}
	}
}
