package testenv

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// GitCommit makes dir a git checkout (when it is not one yet) and commits
// everything in it at the given time, with origin set to an https URL that
// carries credentials, as a CI checkout often has.
func GitCommit(t testing.TB, dir string, at time.Time) {
	t.Helper()
	date := at.UTC().Format(time.RFC3339)
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=cairn", "GIT_AUTHOR_EMAIL=cairn@example.com",
			"GIT_COMMITTER_NAME=cairn", "GIT_COMMITTER_EMAIL=cairn@example.com",
			"GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if _, err := os.Stat(dir + "/.git"); err != nil {
		git("init", "-q", "-b", "main")
		git("remote", "add", "origin", "https://ci-bot:s3cret@git.example.com/team/app.git")
	}
	git("add", "-A")
	git("commit", "-q", "--allow-empty", "-m", "commit at "+date)
}
