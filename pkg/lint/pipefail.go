package lint

import (
	"path"
	"strings"

	"github.com/cairn-build/cairn/internal/dfparse"
)

// pipefail flags a shell RUN with a pipe whose shell does not have
// pipefail set (DL4006): without it, "curl ... | tar x" succeeds when
// curl fails. SHELL is inherited from the stage a stage is built FROM.
func pipefail(_ dfparse.Run, r runScript) []Finding {
	if !needsPipefail(r) {
		return nil
	}
	return []Finding{finding(rulePipefail, r.line, "RUN with a pipe: set -o pipefail first (or SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]) so a failing command fails the build")}
}

// needsPipefail reports whether a POSIX shell runs a pipe before any
// "set -o pipefail", with no pipefail in the shell's own flags.
func needsPipefail(r runScript) bool {
	if len(r.shell) == 0 || !isShell(path.Base(r.shell[0])) || setsPipefail(r.shell[1:]) {
		return false
	}
	for _, c := range r.cmds {
		name, args := cmdName(c.args)
		if (name == "set" || isShell(name)) && setsPipefail(args) {
			return false
		}
		if c.pipeOut {
			return true
		}
	}
	return false
}

// setsPipefail reports whether shell or set flags turn pipefail on:
// "-o pipefail", "-euo pipefail" or "-opipefail".
func setsPipefail(args []string) bool {
	for i, a := range args {
		if a == "pipefail" && i > 0 && isOptCluster(args[i-1]) && strings.HasSuffix(args[i-1], "o") {
			return true
		}
		if isOptCluster(a) && strings.HasSuffix(a, "opipefail") {
			return true
		}
	}
	return false
}

// isOptCluster reports whether a is a short-option cluster like -eux.
func isOptCluster(a string) bool {
	return len(a) > 1 && a[0] == '-' && a[1] != '-'
}
