package cairn

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/cairn-build/cairn/internal/gitinfo"
)

// Source is what cairn knows of the sources a project builds: the git
// checkout of its context, and the timestamp images are made
// reproducible with.
type Source struct {
	// Epoch is the SOURCE_DATE_EPOCH: image config and history times are
	// clamped to it, so the same sources give the same digests. nil is off.
	Epoch *time.Time
	// Commit, CommitTime and Origin describe the context's git checkout;
	// Commit is "" outside one.
	Commit     string
	CommitTime time.Time
	Origin     string
	Branch     string

	// epochDefaulted: Epoch is the Unix epoch because the context is in no
	// checkout and no epoch was given. It makes images reproducible but
	// says nothing of how new the sources are (see orderTime).
	epochDefaulted bool
}

// Epoch modes for LoadOptions.SourceDateEpoch.
const (
	// EpochGit is the commit time of the context's checkout; outside a
	// checkout, the Unix epoch (see readSource).
	EpochGit = "git"
	// EpochOff leaves image times to BuildKit: the time of the build.
	EpochOff = "off"
)

// readSource reads the context's checkout and resolves the epoch: mode is
// "" (then $SOURCE_DATE_EPOCH when set, else git), "git", "off" or Unix
// seconds. Outside a checkout "git" is 0, as ko's default creation time
// is: a source tarball has no commit time to use, and any clock time
// would make each run's images differ (BuildKit stamps history times from
// whichever imported cache record matched), moving tags on a no-change
// republish.
func readSource(ctx context.Context, dir, mode string, env func(string) (string, bool)) (Source, error) {
	var src Source
	info, err := gitinfo.Read(ctx, dir)
	switch {
	case err == nil:
		src.Commit, src.CommitTime, src.Origin, src.Branch = info.Commit, info.CommitTime, info.Origin, info.Branch
	case !errors.Is(err, gitinfo.ErrNotCheckout):
		return src, err
	}
	if mode == "" {
		mode = EpochGit
		if v, ok := env("SOURCE_DATE_EPOCH"); ok && v != "" {
			mode = v
		}
	}
	switch mode {
	case EpochOff:
	case EpochGit:
		t := time.Unix(0, 0).UTC()
		if src.Commit != "" {
			t = src.CommitTime
		}
		src.Epoch, src.epochDefaulted = &t, src.Commit == ""
	default:
		secs, err := strconv.ParseInt(mode, 10, 64)
		if err != nil || secs < 0 {
			return src, fmt.Errorf("source date epoch %q: want Unix seconds, %q or %q", mode, EpochGit, EpochOff)
		}
		t := time.Unix(secs, 0).UTC()
		src.Epoch = &t
	}
	return src, nil
}

// finalLabels are the OCI labels of published images (gitinfo.Labels).
func (s Source) finalLabels() map[string]string { return gitinfo.Labels(s.Commit, s.Origin, s.Epoch) }
