// Package gitinfo reads what cairn records about a build's sources from
// the git checkout they are in: the commit, its time, where it came from
// and the branch. It runs the git command; no checkout, no git, no error.
package gitinfo

import (
	"context"
	"errors"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Info describes the checkout a directory is in.
type Info struct {
	Commit     string    // full hash of HEAD
	CommitTime time.Time // HEAD's committer time
	Origin     string    // remote.origin.url without credentials; "" when none
	Branch     string    // the checked-out branch; "" when HEAD is detached
	Dirty      bool      // tracked files differ from HEAD
}

// ErrNotCheckout means the directory is in no git checkout (or git is
// not installed): there is nothing to read.
var ErrNotCheckout = errors.New("not in a git checkout")

// Read describes the checkout dir is in.
func Read(ctx context.Context, dir string) (*Info, error) {
	head, err := git(ctx, dir, "log", "-1", "--format=%H %ct")
	if err != nil {
		return nil, ErrNotCheckout
	}
	hash, ct, _ := strings.Cut(head, " ")
	secs, err := strconv.ParseInt(ct, 10, 64)
	if err != nil {
		return nil, ErrNotCheckout // an empty repository has no HEAD commit
	}
	info := &Info{Commit: hash, CommitTime: time.Unix(secs, 0).UTC()}
	if origin, err := git(ctx, dir, "config", "--get", "remote.origin.url"); err == nil {
		info.Origin = StripCredentials(origin)
	}
	if branch, err := git(ctx, dir, "symbolic-ref", "--short", "-q", "HEAD"); err == nil {
		info.Branch = branch
	}
	if status, err := git(ctx, dir, "status", "--porcelain", "--untracked-files=no"); err == nil {
		info.Dirty = status != ""
	}
	return info, nil
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...).Output()
	return strings.TrimSpace(string(out)), err
}

// StripCredentials removes a user and password from a URL, as an image
// label must never carry them; scp-like addresses (git@host:path) are kept.
func StripCredentials(remote string) string {
	u, err := url.Parse(remote)
	if err != nil || u.User == nil || u.Scheme == "" {
		return remote
	}
	u.User = nil
	return u.String()
}
