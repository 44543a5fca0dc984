package inputs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	"golang.org/x/sync/errgroup"
)

// entry is one file of a tree as BuildKit receives it.
type entry struct {
	path     string // relative, slash-separated
	mode     fs.FileMode
	uid, gid uint32
	link     string // a symlink's target
	content  string // a regular file's SHA-256, hex
}

// tree is the digest of the directory dir as BuildKit's Dockerfile
// frontend asks for it, with the ignore file's excludes: every file and
// directory that stays, by path, type and permission bits, owner, link
// target and content, never its times (BuildKit's cache keys ignore them
// too). The files are read concurrently, each streamed through the hash.
func tree(ctx context.Context, dir string, excludes []string) (string, error) {
	var pm *patternmatcher.PatternMatcher
	if len(excludes) > 0 {
		var err error
		if pm, err = patternmatcher.New(excludes); err != nil {
			return "", fmt.Errorf("ignore patterns of %s: %w", dir, err)
		}
	}
	w := &walker{root: dir, pm: pm}
	if err := w.walk("", patternmatcher.MatchInfo{}); err != nil {
		return "", err
	}
	if err := w.hashFiles(ctx); err != nil {
		return "", err
	}
	h := sha256.New()
	for _, e := range w.entries {
		// Quoted, so no file name can pass for another's fields.
		fmt.Fprintf(h, "%q %o %d:%d %q %s\n", e.path, uint32(e.mode), e.uid, e.gid, e.link, e.content)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// walker lists a tree's entries, in path order.
type walker struct {
	root    string
	pm      *patternmatcher.PatternMatcher // nil: nothing excluded
	entries []entry
}

// walk adds the entries under rel ("" for the root), whose match result
// is parent's, as fsutil's filter walks the context it sends.
func (w *walker) walk(rel string, parent patternmatcher.MatchInfo) error {
	dirents, err := os.ReadDir(filepath.Join(w.root, rel))
	if err != nil {
		return fmt.Errorf("read build context: %w", err)
	}
	for _, d := range dirents {
		path := d.Name()
		if rel != "" {
			path = rel + "/" + d.Name()
		}
		excluded, info := false, patternmatcher.MatchInfo{}
		if w.pm != nil {
			if excluded, info, err = w.pm.MatchesUsingParentResults(path, parent); err != nil {
				return fmt.Errorf("match %s against the ignore patterns: %w", path, err)
			}
		}
		if excluded && (!d.IsDir() || !w.pm.Exclusions()) {
			continue // no "!" pattern can bring anything below it back
		}
		if !excluded {
			fi, err := d.Info()
			if err != nil {
				return fmt.Errorf("read build context: %w", err)
			}
			if err := w.add(path, fi); err != nil {
				return err
			}
		}
		if d.IsDir() {
			if err := w.walk(path, info); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *walker) add(path string, fi fs.FileInfo) error {
	e := entry{path: path, mode: fi.Mode()}
	e.uid, e.gid = owner(fi)
	if fi.Mode()&fs.ModeSymlink != 0 {
		link, err := os.Readlink(filepath.Join(w.root, path))
		if err != nil {
			return fmt.Errorf("read build context: %w", err)
		}
		e.link = link
	}
	w.entries = append(w.entries, e)
	return nil
}

// bufs are the copy buffers of the file hashes.
var bufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// hashFiles sets the content of every regular file, a few at a time per
// core: reading overlaps hashing.
func (w *walker) hashFiles(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(2 * runtime.GOMAXPROCS(0))
	for i := range w.entries {
		e := &w.entries[i]
		if !e.mode.IsRegular() {
			continue
		}
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			sum, err := hashFile(filepath.Join(w.root, e.path))
			e.content = sum
			return err
		})
	}
	return g.Wait()
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("read build context: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	buf := bufs.Get().(*[]byte)
	defer bufs.Put(buf)
	if _, err := io.CopyBuffer(h, f, *buf); err != nil {
		return "", fmt.Errorf("read build context: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// excludes are the patterns of the ignore file BuildKit's Dockerfile
// frontend applies to a context: for the main context (dockerfile set),
// <Dockerfile>.dockerignore beside the Dockerfile when there is one, else
// the context's .dockerignore; for a named context, its .dockerignore.
func excludes(dir, dockerfile string) ([]string, error) {
	var candidates []string
	if dockerfile != "" {
		candidates = append(candidates, dockerfile+".dockerignore")
	}
	for _, path := range append(candidates, filepath.Join(dir, ".dockerignore")) {
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read ignore file: %w", err)
		}
		defer f.Close()
		patterns, err := ignorefile.ReadAll(f)
		if err != nil {
			return nil, fmt.Errorf("read ignore file %s: %w", path, err)
		}
		return patterns, nil
	}
	return nil, nil
}

// isDirectory reports whether a named context's value is a local directory
// (config keeps those absolute) rather than a URL BuildKit reads itself.
func isDirectory(src string) bool {
	return filepath.IsAbs(src) && !strings.Contains(src, "://")
}
