package lint

import (
	"path"
	"slices"
	"strings"
)

// walk calls f for every command of a RUN with the directory it runs in,
// following cd; lost is true once the directory cannot be known.
func (fs *stageFiles) walk(r runScript, f func(dir string, lost bool, name string, args []string, c simpleCmd)) {
	dir, lost := fs.workdir, fs.lost
	for _, c := range r.cmds {
		name, args := cmdName(c.args)
		if name == "cd" {
			if a := nonFlags(args); len(a) == 1 && a[0] != "-" {
				dir, lost = resolve(dir, lost, a[0])
			} else {
				lost = true
			}
			continue
		}
		f(dir, lost, name, args, c)
	}
}

// ran records the paths a RUN creates.
func (fs *stageFiles) ran(r runScript) {
	fs.walk(r, func(dir string, lost bool, name string, args []string, c simpleCmd) {
		for _, p := range createdPaths(name, args, c) {
			if abs, unknown := resolve(dir, lost, p); !unknown && !strings.HasPrefix(abs, "/dev/") && abs != "/" && abs != "." {
				fs.create(abs, r.line)
			}
		}
	})
}

// createdPaths lists the paths one command creates, as written.
func createdPaths(name string, args []string, c simpleCmd) []string {
	out := slices.Clone(c.redirects)
	switch name {
	case "touch":
		out = append(out, nonFlags(dropOptValues(args, "-d", "-r", "-t"))...)
	case "mkdir":
		out = append(out, nonFlags(dropOptValues(args, "-m"))...)
	case "dd":
		for _, a := range args {
			if v, ok := strings.CutPrefix(a, "of="); ok {
				out = append(out, v)
			}
		}
	case "wget":
		out = append(out, optValues(args, 'O', "--output-document")...)
	case "curl":
		out = append(out, optValues(args, 'o', "--output")...)
	}
	return out
}

// dropOptValues removes the values of options that take a separate one.
func dropOptValues(args []string, opts ...string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		out = append(out, args[i])
		for _, o := range opts {
			if args[i] == o {
				i++
				break
			}
		}
	}
	return out
}

// deleted reports the rm arguments of a RUN that remove paths an earlier
// instruction created, and forgets those paths.
func (fs *stageFiles) deleted(r runScript) []Finding {
	var out []Finding
	fs.walk(r, func(dir string, lost bool, name string, args []string, _ simpleCmd) {
		if name != "rm" {
			return
		}
		for _, a := range nonFlags(args) {
			target, unknown := resolve(dir, lost, a)
			if unknown {
				continue
			}
			if p, line, ok := fs.match(target); ok {
				out = append(out, finding(ruleDeletedLater, r.line, "%s created on line %d, deleted on line %d: the bytes stay in the earlier layer; create and delete it in the same RUN", p, line, r.line))
			}
		}
	})
	return out
}

// match finds the oldest created path that target names, contains, or
// matches as a glob, and forgets every path it matches.
func (fs *stageFiles) match(target string) (string, int, bool) {
	var first string
	var kept []string
	for _, p := range fs.order {
		if !globCovers(target, p) {
			kept = append(kept, p)
			continue
		}
		if first == "" || fs.created[p] < fs.created[first] {
			first = p
		}
	}
	if first == "" {
		return "", 0, false
	}
	line := fs.created[first]
	for _, p := range fs.order {
		if globCovers(target, p) {
			delete(fs.created, p)
		}
	}
	fs.order = kept
	return first, line, true
}

// globCovers reports whether pattern matches p or a directory above it.
func globCovers(pattern, p string) bool {
	for q := p; q != "/" && q != "."; q = path.Dir(q) {
		if ok, _ := path.Match(pattern, q); ok {
			return true
		}
	}
	return false
}
