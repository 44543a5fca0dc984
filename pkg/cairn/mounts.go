package cairn

import (
	"slices"
	"time"

	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/push"
)

// MountReport is what a run did with one cache mount directory (several
// RUNs and stages may share it, by BuildKit's cache ID): how it was
// restored before the steps that use it ran, and how it was saved for the
// next runner.
type MountReport struct {
	build.MountResult
	// RestoreDuration and SaveDuration are in seconds.
	RestoreDuration float64 `json:"restoreDuration"`
	SaveDuration    float64 `json:"saveDuration"`
}

func mountReports(mounts []build.MountResult) []MountReport {
	out := make([]MountReport, len(mounts))
	for i, m := range mounts {
		out[i] = MountReport{MountResult: m,
			RestoreDuration: m.RestoreTime.Round(time.Millisecond).Seconds(),
			SaveDuration:    m.SaveTime.Round(time.Millisecond).Seconds(),
		}
	}
	return out
}

// mountTags are the snapshot refs of the carried cache mounts, each once.
func (p *Project) mountTags() []Tag {
	var tags []Tag
	for _, s := range p.Plan.Stages {
		for _, m := range s.CacheMounts {
			if m.Carried && !slices.ContainsFunc(tags, func(t Tag) bool { return t.Ref == m.Snapshot }) {
				tags = append(tags, Tag{Ref: m.Snapshot, Kind: push.KindCache, Mount: m.ID})
			}
		}
	}
	return tags
}

// mountMove is the move of a snapshot tag, false when the build saved no
// snapshot for its mount: the tag stays where it is.
func mountMove(t Tag, res *build.Result) (push.Move, bool) {
	for _, m := range res.Mounts {
		if m.ID == t.Mount && m.Save == build.Saved {
			return push.Move{Tag: t.Ref, Digest: m.SavedDigest, Kind: push.KindCache}, true
		}
	}
	return push.Move{}, false
}
