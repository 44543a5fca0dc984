package check

import "strings"

// fsTree is the filesystem that stacking layers produces.
type fsTree struct{ root *fsNode }

// fsNode is one path of an fsTree.
type fsNode struct {
	// e is the entry that put the path there; nil for a directory that only
	// exists because something below it does.
	e        *entry
	children map[string]*fsNode
}

func newFSTree() *fsTree { return &fsTree{root: &fsNode{}} }

// stack returns the filesystem the layers produce.
func stack(layers []layerFiles) *fsTree {
	t := newFSTree()
	for _, lf := range layers {
		t.apply(lf)
	}
	return t
}

// apply stacks a layer: its whiteouts hide lower paths only, so they go
// first, then its entries are added.
func (t *fsTree) apply(lf layerFiles) {
	for _, e := range lf.entries {
		switch e.kind {
		case kindWhiteout:
			t.remove(e.path)
		case kindOpaque:
			if n := t.get(e.path); n != nil {
				n.children = nil
			}
		}
	}
	for _, e := range lf.entries {
		if e.kind == kindAdd {
			t.put(e)
		}
	}
}

// get returns the node at p, or nil.
func (t *fsTree) get(p string) *fsNode {
	n := t.root
	for rest := strings.TrimPrefix(p, "/"); rest != "" && n != nil; {
		var name string
		name, rest, _ = strings.Cut(rest, "/")
		n = n.children[name]
	}
	return n
}

// parentOf returns the node of p's directory, creating missing ones, and
// p's base name.
func (t *fsTree) parentOf(p string) (*fsNode, string) {
	n := t.root
	rest := strings.TrimPrefix(p, "/")
	for {
		name, tail, more := strings.Cut(rest, "/")
		if !more {
			return n, name
		}
		child := n.children[name]
		if child == nil {
			child = &fsNode{}
			n.setChild(name, child)
		}
		n, rest = child, tail
	}
}

func (n *fsNode) setChild(name string, child *fsNode) {
	if n.children == nil {
		n.children = map[string]*fsNode{}
	}
	n.children[name] = child
}

// put adds e. A directory over a directory keeps what is below it; any
// other entry replaces the path and everything under it.
func (t *fsTree) put(e *entry) {
	parent, name := t.parentOf(e.path)
	if old := parent.children[name]; old != nil && old.isDir() && e.isDir() {
		old.e = e
		return
	}
	parent.setChild(name, &fsNode{e: e})
}

// remove deletes p and everything under it.
func (t *fsTree) remove(p string) {
	if p == "/" {
		t.root.children = nil
		return
	}
	if parent := t.get(parentDir(p)); parent != nil {
		delete(parent.children, p[strings.LastIndex(p, "/")+1:])
	}
}

// isDir: entry-less nodes are directories, and so is anything with children.
func (n *fsNode) isDir() bool { return n.e == nil || n.e.isDir() || len(n.children) > 0 }

// size is a file's size, or for a directory the sum of the sizes of
// everything under it.
func (n *fsNode) size() int64 {
	var total int64
	if n.e != nil {
		total = n.e.size
	}
	for _, c := range n.children {
		total += c.size()
	}
	return total
}

// deletedSize is what dive counts for a whiteout of p: everything under p
// when p was a directory; 0 for a file (dive sizes only deleted directories).
func (t *fsTree) deletedSize(p string) int64 {
	n := t.get(p)
	if n == nil || (n.e != nil && !n.e.mode.IsDir()) {
		return 0
	}
	return n.size()
}

// parentDir is path.Dir for the clean absolute paths entries have.
func parentDir(p string) string {
	i := strings.LastIndex(p, "/")
	if i <= 0 {
		return "/"
	}
	return p[:i]
}
