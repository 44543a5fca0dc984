package gitinfo

import (
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestStripCredentials(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://user:token@github.com/a/b.git", "https://github.com/a/b.git"},
		{"https://token@gitlab.com/a/b", "https://gitlab.com/a/b"},
		{"https://github.com/a/b.git", "https://github.com/a/b.git"},
		{"git@github.com:a/b.git", "git@github.com:a/b.git"},
		{"ssh://git@host/a/b", "ssh://host/a/b"},
	}
	for _, tt := range tests {
		if got := StripCredentials(tt.in); got != tt.want {
			t.Errorf("StripCredentials(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRead(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	if _, err := Read(t.Context(), dir); !errors.Is(err, ErrNotCheckout) {
		t.Fatalf("empty dir: %v, want ErrNotCheckout", err)
	}
	run := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_COMMITTER_DATE=2026-03-04T05:06:07Z", "GIT_AUTHOR_DATE=2026-03-04T05:06:07Z",
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	run("init", "-q", "-b", "feature/x")
	if err := os.WriteFile(dir+"/f", []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	run("add", "f")
	run("commit", "-qm", "c")
	run("remote", "add", "origin", "https://bot:secret@example.com/team/app.git")
	info, err := Read(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	if len(info.Commit) != 40 || !info.CommitTime.Equal(want) || info.Origin != "https://example.com/team/app.git" || info.Branch != "feature/x" || info.Dirty {
		t.Errorf("info = %+v", info)
	}
	if err := os.WriteFile(dir+"/f", []byte("b"), 0o644); err != nil {
		t.Fatal(err)
	}
	if info, _ = Read(t.Context(), dir); !info.Dirty {
		t.Error("an edited tracked file is not dirty")
	}
}
