package lint

import (
	"path"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/cairn-build/cairn/internal/dfparse"
)

// checkDeletedLater flags a path deleted by rm in a later RUN than the
// instruction that created it, in the same stage (CAIRN004): the delete
// hides the file but its bytes stay in the earlier layer. Only the
// high-precision shape counts: a path created by a redirect, dd of=,
// touch, mkdir, wget -O, curl -o, or as a COPY/ADD destination, and named
// (or matched by a glob, or contained in a directory) by a later rm.
func checkDeletedLater(df *dockerfile, _ *Options) []Finding {
	var out []Finding
	for i, st := range df.Stages {
		fs := &stageFiles{created: map[string]int{}}
		for _, c := range st.Commands {
			line := dfparse.RangeLine(c.Location())
			switch c := c.(type) {
			case *instructions.WorkdirCommand:
				fs.workdir, fs.lost = resolve(fs.workdir, fs.lost, c.Path)
			case *instructions.CopyCommand:
				fs.copied(c.SourcesAndDest, line, false)
			case *instructions.AddCommand:
				fs.copied(c.SourcesAndDest, line, true)
			case *instructions.RunCommand:
				// The shell does not matter here: only the commands do.
				r := parseRun(dfparse.NewRun(i, c, nil))
				out = append(out, fs.deleted(r)...)
				fs.ran(r)
			}
		}
	}
	return out
}

// stageFiles tracks the paths a stage's instructions created. Paths are
// absolute, or relative to the unknown WORKDIR of the base image.
type stageFiles struct {
	workdir string
	lost    bool // workdir is unknown (WORKDIR with a variable)
	created map[string]int
	order   []string // created's keys, oldest first, for stable output
}

func (fs *stageFiles) create(p string, line int) {
	if _, ok := fs.created[p]; !ok {
		fs.order = append(fs.order, p)
	}
	fs.created[p] = line
}

// resolve joins p to dir (lost: dir is unknown). unknown is true when the
// result cannot be known: a variable, ~, or relative to a lost dir.
func resolve(dir string, lost bool, p string) (_ string, unknown bool) {
	if p == "" || strings.ContainsAny(p, "$`") || strings.HasPrefix(p, "~") {
		return "", true
	}
	if path.IsAbs(p) {
		return path.Clean(p), false
	}
	if lost {
		return "", true
	}
	return path.Join(dir, p), false
}

// copied records a COPY or ADD destination, and the files it puts in a
// destination directory (ADD extracts local archives, so not those).
func (fs *stageFiles) copied(sd instructions.SourcesAndDest, line int, add bool) {
	dest, lost := resolve(fs.workdir, fs.lost, sd.DestPath)
	if lost || dest == "/" || dest == "." {
		return
	}
	fs.create(dest, line)
	if !strings.HasSuffix(sd.DestPath, "/") && len(sd.SourcePaths)+len(sd.SourceContents) == 1 {
		return
	}
	for _, src := range sd.SourcePaths {
		base := path.Base(src)
		if dfparse.IsHTTPURL(src) {
			base = path.Base(strings.SplitN(src, "?", 2)[0])
		} else if add && isArchive(src) {
			continue
		}
		if !strings.ContainsAny(base, "*?[$") && base != "." && base != "/" {
			fs.create(path.Join(dest, base), line)
		}
	}
	for _, f := range sd.SourceContents {
		fs.create(path.Join(dest, f.Path), line)
	}
}

func isArchive(p string) bool {
	for _, ext := range []string{".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst"} {
		if strings.HasSuffix(strings.ToLower(p), ext) {
			return true
		}
	}
	return false
}
