package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
)

// overrideFile is the bake file the bench writes into each run's copy of a
// bake project: both tools' file lookup reads it after the project's own
// files, so the example stays as its README runs it.
const overrideFile = "docker-bake.override.json"

// project is `cairn bake --push` against `docker buildx bake --push` on a
// bake project's default targets. Each pushed target gets its own
// repository per tool and run; bake also gets a max-mode registry cache per
// target under that repository, as a CI job using bake's registry cache
// would. cairn keeps its own per-stage caches.
func (b bench) project(ctx context.Context, example string) ([]tool, string, error) {
	targets, err := pushedTargets(ctx, b.bin, example)
	if err != nil {
		return nil, "", err
	}
	return []tool{
		{"bake", func(dir, repo string) (string, []string, error) {
			name, args := buildxBake(b.bin, "--push", "--progress", "quiet")
			return name, args, writeOverride(dir, repo, targets, true)
		}},
		{"cairn", func(dir, repo string) (string, []string, error) {
			args := []string{"bake", "--push", "--registry-mirror", b.env.Registry, "--progress", "quiet"}
			return filepath.Join(b.bin, "cairn"), args, writeOverride(dir, repo, targets, false)
		}},
	}, fmt.Sprintf("pushed targets %v", targets), nil
}

// pushedTargets are the project's default targets that have tags, as
// `cairn bake --print` resolves them (the targets they read have none).
func pushedTargets(ctx context.Context, bin, example string) ([]string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "cairn"), "bake", "--print")
	cmd.Dir = example
	out, err := cmd.Output()
	if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
		return nil, fmt.Errorf("cairn bake --print in %s: %w\n%s", example, err, exit.Stderr)
	} else if err != nil {
		return nil, fmt.Errorf("cairn bake --print in %s: %w", example, err)
	}
	var printed struct {
		Target map[string]struct {
			Tags []string `json:"tags"`
		} `json:"target"`
	}
	if err := json.Unmarshal(out, &printed); err != nil {
		return nil, fmt.Errorf("read cairn bake --print: %w", err)
	}
	var names []string
	for name, t := range printed.Target {
		if len(t.Tags) > 0 {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: no default target has tags, nothing to push", example)
	}
	slices.Sort(names)
	return names, nil
}

// writeOverride writes dir's override file: each target tagged under
// repo/TARGET, and with cache, a max-mode registry cache there.
func writeOverride(dir, repo string, targets []string, cache bool) error {
	file := bakeFile{Target: map[string]bakeTarget{}}
	for _, name := range targets {
		t := bakeTarget{Tags: []string{fmt.Sprintf("%s/%s:bench", repo, name)}}
		if cache {
			ref := fmt.Sprintf("type=registry,ref=%s/%s:cache", repo, name)
			t.CacheFrom, t.CacheTo = []string{ref}, []string{ref + ",mode=max"}
		}
		file.Target[name] = t
	}
	return file.write(filepath.Join(dir, overrideFile))
}
