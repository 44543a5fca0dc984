package check

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// OCI whiteout markers.
const (
	whiteoutPrefix = ".wh."
	opaqueMarker   = ".wh..wh..opq"
)

// entryKind says what a tar entry does to the lower layers.
type entryKind int

const (
	kindAdd      entryKind = iota // adds or replaces path
	kindWhiteout                  // deletes path (and everything under it)
	kindOpaque                    // hides the lower children of directory path
)

// entry is one tar entry of a layer, its path cleaned and made absolute.
type entry struct {
	path string
	// parent is the directory the tar entry itself sits in: for a whiteout
	// marker "/a/.wh.b" it is "/a", for an opaque marker "/a/.wh..wh..opq"
	// it is "/a" (the path). It decides which entries are leaves.
	parent   string
	kind     entryKind
	mode     fs.FileMode
	uid, gid int
	size     int64
	typeflag byte
	linkname string
	layer    int
}

func (e *entry) isDir() bool { return e.mode.IsDir() }

// layerFiles is one layer's entries, the last of each path and kind kept as
// tar extraction would.
type layerFiles struct {
	entries []*entry
	// size is the sum of the tar headers' sizes: the uncompressed file
	// content, which is what dive's docker-archive reader counts as a
	// layer's size (not the tar stream's length with headers and padding).
	size int64
	// index finds an entry by path and kind, for replacing it.
	index map[entryKey]int
}

type entryKey struct {
	path string
	kind entryKind
}

// contents holds the captured content of regular files, by path, with the
// layer it came from.
type contents map[string]captured

type captured struct {
	layer int
	data  []byte
}

// readLayers reads every layer's tar once, capturing the content of the
// regular files whose path is in want.
func readLayers(img v1.Image, want map[string]bool) ([]v1.Layer, []layerFiles, contents, error) {
	layers, err := img.Layers()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("list layers: %w", err)
	}
	files := make([]layerFiles, len(layers))
	got := contents{}
	for i, l := range layers {
		err := scanLayer(l, func(e *entry, r io.Reader) error {
			e.layer = i
			files[i].add(e)
			if want[e.path] && e.kind == kindAdd && e.mode.IsRegular() && e.typeflag != tar.TypeLink {
				data, err := io.ReadAll(r)
				if err != nil {
					return fmt.Errorf("read %s: %w", e.path, err)
				}
				got[e.path] = captured{layer: i, data: data}
			}
			return nil
		})
		if err != nil {
			return nil, nil, nil, fmt.Errorf("layer %d: %w", i, err)
		}
	}
	return layers, files, got, nil
}

// add keeps the last entry of each path and kind, as extracting a tar does.
func (lf *layerFiles) add(e *entry) {
	lf.size += e.size
	if lf.index == nil {
		lf.index = map[entryKey]int{}
	}
	key := entryKey{e.path, e.kind}
	if i, ok := lf.index[key]; ok {
		lf.entries[i] = e
		return
	}
	lf.index[key] = len(lf.entries)
	lf.entries = append(lf.entries, e)
}

// scanLayer calls fn for each entry of the layer's uncompressed tar, with
// a reader of the entry's content.
func scanLayer(l v1.Layer, fn func(*entry, io.Reader) error) (err error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer func() {
		if cerr := rc.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close: %w", cerr)
		}
	}()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read tar: %w", err)
		}
		if e := newEntry(h); e != nil {
			if err := fn(e, tr); err != nil {
				return err
			}
		}
	}
}

// newEntry interprets a tar header, or returns nil for the root directory
// and global headers, which name no file.
func newEntry(h *tar.Header) *entry {
	if h.Typeflag == tar.TypeXGlobalHeader {
		return nil
	}
	p := path.Clean("/" + h.Name)
	if p == "/" {
		return nil
	}
	dir, base := path.Split(p)
	dir = path.Clean(dir)
	e := &entry{
		path: p, parent: dir, mode: h.FileInfo().Mode(), uid: h.Uid, gid: h.Gid,
		size: h.Size, typeflag: h.Typeflag, linkname: h.Linkname,
	}
	switch {
	case base == opaqueMarker:
		e.path, e.kind = dir, kindOpaque
	case strings.HasPrefix(base, whiteoutPrefix) && len(base) > len(whiteoutPrefix):
		e.path, e.kind = path.Join(dir, strings.TrimPrefix(base, whiteoutPrefix)), kindWhiteout
	}
	return e
}
