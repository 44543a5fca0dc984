package cairn

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-build/cairn/pkg/push"
)

// commitOptions are the commit's options for a run that started at started.
func (o RunOptions) commitOptions(ctx context.Context, p *Project, started time.Time) []push.Option {
	return []push.Option{
		push.WithForce(o.Force),
		push.WithSourceTime(sourceTime(ctx, p.Config.Context, started)),
		push.WithNotes(o.notef),
	}
}

// sourceTime orders the caches of concurrent publishers (see
// push.WithSourceTime): the committer time of the git commit the build
// context is checked out at, else when the run started.
func sourceTime(ctx context.Context, dir string, started time.Time) time.Time {
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "log", "-1", "--format=%ct").Output()
	if err != nil {
		return started // not a git checkout, or no git
	}
	sec, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		return started
	}
	return time.Unix(sec, 0)
}

func (o RunOptions) notef(format string, args ...any) { o.Logger.Info(fmt.Sprintf(format, args...)) }
