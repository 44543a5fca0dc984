package check

import (
	"fmt"
	"sort"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Efficiency is dive's analysis of an image.
type Efficiency struct {
	// Score is dive's efficiency: the smallest size each path was seen
	// with, summed, over the sizes of every time it was seen.
	Score float64 `json:"score"`
	// SizeBytes sums every layer's file sizes; UserSizeBytes leaves out
	// layer 0, which dive takes as the base image.
	SizeBytes     int64 `json:"sizeBytes"`
	UserSizeBytes int64 `json:"userSizeBytes"`
	// WastedBytes sums the cumulative size of the inefficiencies.
	WastedBytes int64 `json:"wastedBytes"`
	// UserWastedPercent is WastedBytes / UserSizeBytes as a fraction; it
	// exceeds 1 when more is wasted than the user layers hold.
	UserWastedPercent float64 `json:"userWastedPercent"`
	// Inefficiencies are the paths seen in more than one layer, largest
	// CumulativeSize first.
	Inefficiencies []Inefficiency `json:"inefficiencies"`
}

// Inefficiency is a path written (or deleted) by more than one layer.
type Inefficiency struct {
	Path string `json:"path"`
	// Count is the number of layers the path appears in.
	Count          int   `json:"count"`
	CumulativeSize int64 `json:"cumulativeSize"`
}

// Analyze computes Efficiency from the image's layers as dive's
// filetree.Efficiency does: a whiteout weighs what a deleted directory held
// and nothing for a deleted file, and opaque directory markers
// (.wh..wh..opq) are dropped, as dive's tree drops them.
func Analyze(img v1.Image) (*Efficiency, error) {
	_, files, _, err := readLayers(img, nil)
	if err != nil {
		return nil, fmt.Errorf("analyze efficiency: %w", err)
	}
	return analyze(files), nil
}

// pathStat is what dive's efficiency remembers about one path.
type pathStat struct {
	path    string
	count   int
	cumSize int64
	minSize int64
}

// analyze visits each layer's leaves, sizing a whiteout by what it hid
// in the layers below, and sums as dive's filetree.Efficiency does.
func analyze(layers []layerFiles) *Efficiency {
	stats := map[string]*pathStat{}
	var repeated []*pathStat
	lower := newFSTree()
	eff := &Efficiency{Inefficiencies: []Inefficiency{}}
	for i, lf := range layers {
		for _, e := range leaves(lf) {
			size := e.size
			switch e.kind {
			case kindOpaque:
				continue
			case kindWhiteout:
				size = lower.deletedSize(e.path)
			}
			st := stats[e.path]
			if st == nil {
				st = &pathStat{path: e.path, minSize: size}
				stats[e.path] = st
			}
			st.count++
			st.cumSize += size
			st.minSize = min(st.minSize, size)
			if st.count == 2 {
				repeated = append(repeated, st)
			}
		}
		lower.apply(lf)
		eff.SizeBytes += lf.size
		if i > 0 {
			eff.UserSizeBytes += lf.size
		}
	}
	eff.Score = score(stats)
	for _, st := range repeated {
		eff.WastedBytes += st.cumSize
		eff.Inefficiencies = append(eff.Inefficiencies, Inefficiency{Path: st.path, Count: st.count, CumulativeSize: st.cumSize})
	}
	sortInefficiencies(eff.Inefficiencies)
	if eff.UserSizeBytes > 0 {
		eff.UserWastedPercent = float64(eff.WastedBytes) / float64(eff.UserSizeBytes)
	}
	return eff
}

func score(stats map[string]*pathStat) float64 {
	var least, seen int64
	for _, st := range stats {
		least += st.minSize
		seen += st.cumSize
	}
	if seen == 0 {
		return 1
	}
	return float64(least) / float64(seen)
}

func sortInefficiencies(in []Inefficiency) {
	sort.Slice(in, func(i, j int) bool {
		if in[i].CumulativeSize != in[j].CumulativeSize {
			return in[i].CumulativeSize > in[j].CumulativeSize
		}
		return in[i].Path < in[j].Path
	})
}

// leaves are the entries nothing else in the layer sits under. Whiteout
// and opaque markers are always leaves, and their tar entry counts as a
// child of the directory holding it, as in dive's tree.
func leaves(lf layerFiles) []*entry {
	hasChild := map[string]bool{}
	for _, e := range lf.entries {
		for p := e.parent; p != "/" && !hasChild[p]; p = parentDir(p) {
			hasChild[p] = true
		}
	}
	out := make([]*entry, 0, len(lf.entries))
	for _, e := range lf.entries {
		if e.kind != kindAdd || !hasChild[e.path] {
			out = append(out, e)
		}
	}
	return out
}
