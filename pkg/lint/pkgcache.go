package lint

import (
	"slices"
	"strings"

	"github.com/cairn-build/cairn/internal/dfparse"
)

// pkgRule is a package manager whose caches an install leaves in the
// layer unless the same RUN cleans them.
type pkgRule struct {
	rule    string
	install func(name string, args []string) bool
	clean   func(name string, args []string) bool
	caches  []string // cache dirs a cache mount may cover instead
	message string
}

func pkgRules() []pkgRule {
	return []pkgRule{{
		rule: ruleAptLists,
		install: func(n string, a []string) bool {
			return (n == "apt-get" || n == "apt") && slices.Contains(a, "install")
		},
		clean:   rmUnder("/var/lib/apt/lists"),
		caches:  []string{"/var/lib/apt", "/var/cache/apt"},
		message: "apt-get install without rm -rf /var/lib/apt/lists/* in the same RUN: the package lists stay in the layer",
	}, {
		rule: ruleApkCache,
		install: func(n string, a []string) bool {
			return n == "apk" && slices.Contains(a, "add") && !slices.Contains(a, "--no-cache")
		},
		clean:   rmUnder("/var/cache/apk"),
		caches:  []string{"/var/cache/apk", "/etc/apk/cache"},
		message: "apk add without --no-cache or rm -rf /var/cache/apk/* in the same RUN: the package index stays in the layer",
	}, {
		rule:    ruleYumClean,
		install: func(n string, a []string) bool { return n == "yum" && slices.Contains(a, "install") },
		clean: func(n string, a []string) bool {
			return n == "yum" && slices.Contains(a, "clean") && slices.Contains(a, "all")
		},
		caches:  []string{"/var/cache/yum"},
		message: "yum install without yum clean all in the same RUN: the yum cache stays in the layer",
	}}
}

// rmUnder matches an rm of dir or anything inside it.
func rmUnder(dir string) func(string, []string) bool {
	return func(n string, args []string) bool {
		if n != "rm" {
			return false
		}
		return slices.ContainsFunc(nonFlags(args), func(a string) bool { return strings.HasPrefix(a, dir) })
	}
}

// packageCaches flags package installs that leave their caches in the
// layer (DL3009, DL3019, DL3032). A RUN with a cache mount on the
// manager's cache dir is skipped: the cache lives outside the layer, and
// deleting it would defeat the mount.
func packageCaches(run dfparse.Run, r runScript) []Finding {
	var out []Finding
	for _, p := range pkgRules() {
		if r.any(p.install) && !r.any(p.clean) && !cachedAt(cacheTargets(run), p.caches) {
			out = append(out, finding(p.rule, r.line, "%s", p.message))
		}
	}
	return out
}

// any reports whether one of the script's commands matches f.
func (r runScript) any(f func(name string, args []string) bool) bool {
	return slices.ContainsFunc(r.cmds, func(c simpleCmd) bool { return f(cmdName(c.args)) })
}

// cachedAt reports whether a cache mount covers one of dirs (or a part
// of one).
func cachedAt(mounts, dirs []string) bool {
	for _, m := range mounts {
		for _, d := range dirs {
			if within(m, d) || within(d, m) {
				return true
			}
		}
	}
	return false
}
