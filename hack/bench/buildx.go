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
	type target struct {
		Context    string   `json:"context"`
		Dockerfile string   `json:"dockerfile"`
		Target     string   `json:"target"`
		CacheFrom  []string `json:"cache-from"`
		CacheTo    []string `json:"cache-to"`
		Output     []string `json:"output"`
	}
	file := struct {
		Group  map[string]map[string][]string `json:"group"`
		Target map[string]target              `json:"target"`
	}{Group: map[string]map[string][]string{"default": {"targets": stages}}, Target: map[string]target{}}
	last := stages[len(stages)-1]
	for _, s := range stages {
		cache := fmt.Sprintf("type=registry,ref=%s:cache-%s,registry.insecure=true", repo, s)
		out := fmt.Sprintf("type=image,name=%s:%s,push=true,registry.insecure=true", repo, s)
		if s == last {
			out = fmt.Sprintf(`type=image,"name=%s:%s,%s:latest",push=true,registry.insecure=true`, repo, s, repo)
		}
		file.Target[s] = target{
			Context: dir, Dockerfile: filepath.Join(dir, "Dockerfile"), Target: s,
			CacheFrom: []string{cache}, CacheTo: []string{cache + ",mode=max"}, Output: []string{out},
		}
	}
	b, err := json.MarshalIndent(file, "", "  ")
	if err != nil {
		return "", nil, err
	}
	path := filepath.Join(work, filepath.Base(dir)+".bake.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return "", nil, fmt.Errorf("write bake file: %w", err)
	}
	name, args := buildxBake(bin, "--file", path, "--progress", "quiet")
	return name, args, nil
}

// buildxBake is the command that runs `docker buildx bake args…` on the
// run's fresh daemon through a remote driver (BUILDKIT_HOST, set by timed):
// no dockerd.
func buildxBake(bin string, args ...string) (string, []string) {
	line := `set -e; "$0" create --name bench --driver remote "$BUILDKIT_HOST" >/dev/null; ` +
		`exec "$0" --builder bench bake "$@"`
	return "sh", append([]string{"-c", line, filepath.Join(bin, "buildx")}, args...)
}
