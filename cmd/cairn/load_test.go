package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-build/cairn/internal/testenv"
)

// example is the absolute path of one of examples/.
func example(t *testing.T, name string) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestLoadRuns: `cairn build --load` of an example puts its image into the
// Docker engine DOCKER_HOST names (a dockerd of the test's own), tagged as
// -t says, and `docker run` of it prints what the build wrote.
func TestLoadRuns(t *testing.T) {
	env := testenv.Get(t)
	testenv.Dockerd(t)
	stamp := fmt.Sprint(time.Now().UnixNano()) // the output is this build's, not a cached one's
	tests := []struct {
		example string
		args    []string
		want    string
	}{
		{"hello", []string{"--build-arg", "NAME=load-" + stamp}, "hello from load-" + stamp + "\n"},
		{"wide", []string{"--build-arg", "BUSY=0"}, "one\ntwo\nthree\n"},
	}
	for _, tt := range tests {
		t.Run(tt.example, func(t *testing.T) {
			repo := testenv.Repo(t)
			ref := repo + ":loaded"
			args := append([]string{"build", "--addr", env.BuildkitHost, "--repository", repo, "-t", ref, "--load"}, tt.args...)
			code, _, stderr := runCLI(t, example(t, tt.example), args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(stderr, "Loaded image: "+ref) {
				t.Errorf("no note of the loaded image %s:\n%s", ref, stderr)
			}
			if got := testenv.Docker(t, "run", "--rm", "--network", "none", ref); got != tt.want {
				t.Errorf("docker run %s printed %q, want %q", ref, got, tt.want)
			}
			if tags := testenv.Tags(t, repo); len(tags) != 0 {
				t.Errorf("--load without --push pushed %v", tags)
			}
		})
	}
}

// TestLoadUntaggedByID: with no tag, the loaded image is found by the ID
// --iidfile wrote, which is the engine's own ID for it.
func TestLoadUntaggedByID(t *testing.T) {
	env := testenv.Get(t)
	testenv.Dockerd(t)
	stamp := fmt.Sprint(time.Now().UnixNano())
	dir := testenv.WriteDir(t, map[string]string{"Dockerfile": "FROM busybox:1.36\nRUN echo " + stamp + " > /stamp\nCMD [\"cat\", \"/stamp\"]\n"})
	iid := filepath.Join(t.TempDir(), "iid")
	code, _, stderr := runCLI(t, dir, "build", "--addr", env.BuildkitHost, "--load", "--iidfile", iid)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	id, err := os.ReadFile(iid)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(testenv.Docker(t, "image", "inspect", "--format", "{{.Id}}", string(id))); got != string(id) {
		t.Errorf("the engine's ID of the loaded image is %s, --iidfile wrote %s", got, id)
	}
	if got := testenv.Docker(t, "run", "--rm", "--network", "none", string(id)); got != stamp+"\n" {
		t.Errorf("docker run printed %q, want %q", got, stamp+"\n")
	}
}
