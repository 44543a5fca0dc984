package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// bakeArgs is the command that builds every stage with `docker buildx bake`
// as a CI job using bake's registry cache would: one bake file, a target per
// stage, each importing and exporting a max-mode cache under its own tag,
// the last stage pushed as the final tag.
func bakeArgs(work, bin, dir, repo string, stages []string) (string, []string, error) {
	file := bakeFile{Group: map[string]map[string][]string{"default": {"targets": stages}}, Target: map[string]bakeTarget{}}
	last := stages[len(stages)-1]
	for _, s := range stages {
		cache := fmt.Sprintf("type=registry,ref=%s:cache-%s,registry.insecure=true", repo, s)
		out := fmt.Sprintf("type=image,name=%s:%s,push=true,registry.insecure=true", repo, s)
		if s == last {
			out = fmt.Sprintf(`type=image,"name=%s:%s,%s:latest",push=true,registry.insecure=true`, repo, s, repo)
		}
		file.Target[s] = bakeTarget{
			Context: dir, Dockerfile: filepath.Join(dir, "Dockerfile"), Target: s,
			CacheFrom: []string{cache}, CacheTo: []string{cache + ",mode=max"}, Output: []string{out},
		}
	}
	path := filepath.Join(work, filepath.Base(dir)+".bake.json")
	if err := file.write(path); err != nil {
		return "", nil, err
	}
	name, args := buildxBake(bin, "--file", path, "--progress", "quiet")
	return name, args, nil
}

// bakeFile is a bake file in its JSON form, as the bench writes them.
type bakeFile struct {
	Group  map[string]map[string][]string `json:"group,omitempty"`
	Target map[string]bakeTarget          `json:"target"`
}

type bakeTarget struct {
	Context    string   `json:"context,omitempty"`
	Dockerfile string   `json:"dockerfile,omitempty"`
	Target     string   `json:"target,omitempty"`
	Tags       []string `json:"tags,omitempty"`
	CacheFrom  []string `json:"cache-from,omitempty"`
	CacheTo    []string `json:"cache-to,omitempty"`
	Output     []string `json:"output,omitempty"`
}

func (f bakeFile) write(path string) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write bake file: %w", err)
	}
	return nil
}

// buildxBake is the command that runs `docker buildx bake args…` on the
// run's fresh daemon through a remote driver (BUILDKIT_HOST, set by timed):
// no dockerd.
func buildxBake(bin string, args ...string) (string, []string) {
	line := `set -e; "$0" create --name bench --driver remote "$BUILDKIT_HOST" >/dev/null; ` +
		`exec "$0" --builder bench bake "$@"`
	return "sh", append([]string{"-c", line, filepath.Join(bin, "buildx")}, args...)
}
