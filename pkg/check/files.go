package check

import (
	"archive/tar"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// imageFS is an image's final filesystem, with the file content that
// content checks asked for.
type imageFS struct {
	tree     *fsTree
	layers   []v1.Layer
	contents contents
}

// contentPaths are the paths whose content the file checks read.
func contentPaths(checks []FileCheck) map[string]bool {
	want := map[string]bool{}
	for _, c := range checks {
		if len(c.Contains)+len(c.Excludes) > 0 {
			want[c.Path] = true
		}
	}
	return want
}

// checkFile runs one file check on the final filesystem.
func (f *imageFS) checkFile(c FileCheck) Result {
	r := Result{Kind: KindFile, Name: c.name()}
	n := f.tree.get(path.Clean(c.Path))
	switch {
	case !c.mustExist() && n == nil:
		r.Passed, r.Message = true, "does not exist"
		return r
	case !c.mustExist():
		r.Message = "exists (" + describe(n) + "), want absent"
		return r
	case n == nil:
		r.Message = "does not exist"
		return r
	}
	problems := append(attributeProblems(n, c), f.contentProblems(n, c)...)
	r.Passed = len(problems) == 0
	r.Message = strings.Join(problems, "; ")
	if r.Passed {
		r.Message = "exists: " + describe(n)
	}
	return r
}

// describe sums up a node for messages.
func describe(n *fsNode) string {
	if n.e == nil {
		return "directory with no entry of its own"
	}
	s := fmt.Sprintf("%s %d:%d", n.e.mode, n.e.uid, n.e.gid)
	switch {
	case n.e.mode.IsRegular() && n.e.typeflag != tar.TypeLink:
		s += fmt.Sprintf(", %d bytes", n.e.size)
	case n.e.linkname != "":
		s += " → " + n.e.linkname
	}
	return s
}

func attributeProblems(n *fsNode, c FileCheck) []string {
	if c.Permissions == "" && c.UID == nil && c.GID == nil && c.Executable == "" {
		return nil
	}
	if n.e == nil {
		return []string{"no layer has an entry for this directory, so its mode and owner are unknown"}
	}
	var problems []string
	if c.Permissions != "" {
		if p, err := parsePermissions(c.Permissions); err != nil {
			problems = append(problems, err.Error())
		} else if ok, got := p.match(n.e.mode); !ok {
			problems = append(problems, fmt.Sprintf("permissions %s, want %s", got, c.Permissions))
		}
	}
	if c.UID != nil && n.e.uid != *c.UID {
		problems = append(problems, fmt.Sprintf("uid %d, want %d", n.e.uid, *c.UID))
	}
	if c.GID != nil && n.e.gid != *c.GID {
		problems = append(problems, fmt.Sprintf("gid %d, want %d", n.e.gid, *c.GID))
	}
	if c.Executable != "" {
		if bits, ok := executableBits(c.Executable); !ok {
			problems = append(problems, fmt.Sprintf("invalid executable %q", c.Executable))
		} else if n.e.mode&bits == 0 {
			problems = append(problems, fmt.Sprintf("not executable by %s (%s)", c.Executable, n.e.mode))
		}
	}
	return problems
}

func (f *imageFS) contentProblems(n *fsNode, c FileCheck) []string {
	if len(c.Contains)+len(c.Excludes) == 0 {
		return nil
	}
	switch {
	case n.isDir():
		return []string{"is a directory; content checks need a file"}
	case n.e.typeflag == tar.TypeSymlink:
		return []string{fmt.Sprintf("is a symlink to %s; content checks read the path as stored and do not follow links", n.e.linkname)}
	}
	data, err := f.content(n.e)
	if err != nil {
		return []string{err.Error()}
	}
	problems := matchProblems("content", data, c.Contains, true)
	return append(problems, matchProblems("content", data, c.Excludes, false)...)
}

// matchProblems says which patterns fail to match (want true) or match
// (want false) data.
func matchProblems(what string, data []byte, patterns []string, want bool) []string {
	var problems []string
	for _, p := range patterns {
		re, err := regexp.Compile(p)
		if err != nil {
			problems = append(problems, fmt.Sprintf("invalid regex %q: %v", p, err))
			continue
		}
		switch matched := re.Match(data); {
		case want && !matched:
			problems = append(problems, fmt.Sprintf("%s does not match %q", what, p))
		case !want && matched:
			problems = append(problems, fmt.Sprintf("%s matches excluded %q", what, p))
		}
	}
	return problems
}

// content returns a regular file's content; a hard link's is its
// target's, in the link's own layer as tar writers store them.
func (f *imageFS) content(e *entry) ([]byte, error) {
	p := e.path
	if e.typeflag == tar.TypeLink {
		p = path.Clean("/" + e.linkname)
	} else if !e.mode.IsRegular() {
		return nil, fmt.Errorf("is not a regular file (%s)", e.mode)
	}
	if c, ok := f.contents[p]; ok && c.layer == e.layer {
		return c.data, nil
	}
	data, found, err := captureFrom(f.layers[e.layer], p)
	if err != nil {
		return nil, fmt.Errorf("read content from layer %d: %w", e.layer, err)
	}
	if !found {
		return nil, fmt.Errorf("hard link target %s is not in layer %d", p, e.layer)
	}
	return data, nil
}

// captureFrom reads the content of the last regular file at p in a layer.
func captureFrom(l v1.Layer, p string) (data []byte, found bool, err error) {
	err = scanLayer(l, func(e *entry, r io.Reader) error {
		if e.path != p || e.kind != kindAdd || !e.mode.IsRegular() || e.typeflag == tar.TypeLink {
			return nil
		}
		data, err = io.ReadAll(r)
		found = true
		return err
	})
	return data, found, err
}
