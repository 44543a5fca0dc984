package check

import (
	"fmt"
	"regexp"
	"strings"
)

// EvaluateCommand judges a command check from what the command did.
func EvaluateCommand(c CommandCheck, stdout, stderr string, exitCode int) Result {
	out, errOut := []byte(stdout), []byte(stderr)
	outProblems := append(matchProblems("stdout", out, c.ExpectedOutput, true),
		matchProblems("stdout", out, c.ExcludedOutput, false)...)
	errProblems := append(matchProblems("stderr", errOut, c.ExpectedError, true),
		matchProblems("stderr", errOut, c.ExcludedError, false)...)
	var problems []string
	if exitCode != c.ExitCode {
		problems = append(problems, fmt.Sprintf("exit code %d, want %d", exitCode, c.ExitCode))
	}
	problems = append(append(problems, outProblems...), errProblems...)

	r := Result{Kind: KindCommand, Name: c.name(), Passed: len(problems) == 0}
	if r.Passed {
		r.Message = fmt.Sprintf("exit code %d", exitCode)
		if n := len(c.ExpectedOutput) + len(c.ExpectedError); n > 0 {
			r.Message += fmt.Sprintf(", %d expected pattern(s) matched", n)
		}
		return r
	}
	// Show what the command printed where it explains the failure.
	if len(outProblems) > 0 {
		problems = append(problems, "stdout: "+excerpt(stdout))
	}
	if (len(errProblems) > 0 || exitCode != c.ExitCode) && stderr != "" {
		problems = append(problems, "stderr: "+excerpt(stderr))
	}
	r.Message = strings.Join(problems, "; ")
	return r
}

// excerpt quotes the start of s on one line, for messages.
func excerpt(s string) string {
	const limit = 200
	if len(s) > limit {
		return fmt.Sprintf("%q…", s[:limit])
	}
	return fmt.Sprintf("%q", s)
}

// commandLine is argv as a shell would read it.
func commandLine(command string, args []string) string {
	words := make([]string, 0, 1+len(args))
	for _, w := range append([]string{command}, args...) {
		words = append(words, shellQuote(w))
	}
	return strings.Join(words, " ")
}

// shellQuote leaves plain words alone and single-quotes the rest.
func shellQuote(s string) string {
	if ok, _ := regexp.MatchString(`^[A-Za-z0-9_@%+=:,./-]+$`, s); ok {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
