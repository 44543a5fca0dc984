package lint

import (
	"path"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/cairn-build/cairn/internal/dfparse"
)

// runScript is what one RUN executes, as simple commands.
type runScript struct {
	line int
	cmds []simpleCmd
	// shell is the shell the text runs in: the SHELL in effect for shell
	// form, the exec-form program for ["sh", "-c", ...]; nil when no shell
	// interprets it (plain exec form).
	shell []string
}

// parseRun splits a RUN into simple commands, shell form running in the
// SHELL in effect (BuildKit's default /bin/sh -c when none). Heredoc bodies
// count as commands when a shell runs them: "RUN <<EOF" (unless a shebang
// names another interpreter) or "RUN bash <<EOF"; other heredocs are data.
func parseRun(dr dfparse.Run) runScript {
	run := dr.Cmd
	r := runScript{line: dr.Line}
	if dr.Exec {
		if i := shellCFlag(run.CmdLine); i > 0 && i+1 < len(run.CmdLine) {
			r.shell, r.cmds = run.CmdLine[:i+1], splitShell(run.CmdLine[i+1])
		} else {
			r.cmds = []simpleCmd{{args: run.CmdLine}}
		}
		return r
	}
	r.shell = dr.Shell
	if r.shell == nil {
		r.shell = []string{"/bin/sh", "-c"}
	}
	text := splitShell(strings.Join(run.CmdLine, " "))
	r.cmds = text
	for _, f := range run.Files {
		if heredocIsScript(text, f.Data) {
			r.cmds = append(r.cmds, splitShell(f.Data)...)
		}
	}
	return r
}

// shellCFlag is the index of the -c flag of an exec-form shell command
// line such as ["bash", "-eo", "pipefail", "-c", "script"], or -1.
func shellCFlag(args []string) int {
	if len(args) < 2 || !isShell(path.Base(args[0])) {
		return -1
	}
	for i, a := range args[1:] {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		if !strings.HasPrefix(a, "--") && strings.HasSuffix(a, "c") {
			return i + 1
		}
	}
	return -1
}

// heredocIsScript reports whether a shell runs a heredoc body: the RUN is
// only the heredoc, or a shell reading it with flags alone.
func heredocIsScript(cmds []simpleCmd, body string) bool {
	switch len(cmds) {
	case 0:
		return shebangIsShell(body)
	case 1:
		name, args := cmdName(cmds[0].args)
		return isShell(name) && len(nonFlags(args)) == 0
	}
	return false
}

// shebangIsShell reports whether a script without a shebang or with a
// shell's runs in a shell; BuildKit runs "#!/usr/bin/env python3" bodies
// with python.
func shebangIsShell(body string) bool {
	line, ok := strings.CutPrefix(body, "#!")
	if !ok {
		return true
	}
	line, _, _ = strings.Cut(line, "\n")
	f := strings.Fields(line)
	if len(f) > 1 && path.Base(f[0]) == "env" {
		f = f[1:]
		if f[0] == "-S" && len(f) > 1 {
			f = f[1:]
		}
	}
	return len(f) > 0 && isShell(path.Base(f[0]))
}

// nonFlags drops the arguments that start with '-'; after "--" all count.
func nonFlags(args []string) []string {
	var out []string
	for i, a := range args {
		if a == "--" {
			return append(out, args[i+1:]...)
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			out = append(out, a)
		}
	}
	return out
}

// hasFlag reports whether args has a long flag, or a short-flag cluster
// with letter (e.g. -c in "-c" or "-sc"); letter 0 checks long only.
func hasFlag(args []string, letter byte, long string) bool {
	for _, a := range args {
		if a == long && long != "" {
			return true
		}
		if letter != 0 && len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.IndexByte(a[1:], letter) >= 0 {
			return true
		}
	}
	return false
}

// optValues returns the values of an option written -x VAL, -xVAL, at the
// end of a short cluster (-fsSLx VAL), --long VAL or --long=VAL.
func optValues(args []string, short byte, long string) []string {
	var out []string
	for i, a := range args {
		var v string
		var next bool
		switch {
		case long != "" && a == long:
			next = true
		case long != "" && strings.HasPrefix(a, long+"="):
			v = a[len(long)+1:]
		case len(a) > 1 && a[0] == '-' && a[1] != '-':
			k := strings.IndexByte(a[1:], short)
			if k < 0 {
				continue
			}
			v = a[k+2:]
			next = v == ""
		default:
			continue
		}
		if next && i+1 < len(args) {
			v = args[i+1]
		}
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// cacheTargets lists the targets of a RUN's cache mounts.
func cacheTargets(run dfparse.Run) []string {
	var out []string
	for _, m := range run.Mounts {
		if m.Type == instructions.MountTypeCache && m.Target != "" {
			out = append(out, path.Clean(m.Target))
		}
	}
	return out
}

// within reports whether p is dir or inside it.
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}
