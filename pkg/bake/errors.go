package bake

import (
	"fmt"
	"path"
	"strings"

	bx "github.com/docker/buildx/bake"
	"github.com/moby/buildkit/util/suggest"
)

// NotFoundError is no bake definition: no -f and none of buildx's default
// file names in the working directory.
type NotFoundError struct{}

func (e *NotFoundError) Error() string {
	return "no bake definition found: none of compose.yaml, docker-compose.yml, docker-bake.hcl, docker-bake.json (or their override files) here; name one with -f"
}

// FileError is a bake definition buildx rejects. Its message is buildx's
// own, so it reads as `docker buildx bake` would say it.
type FileError struct {
	Files []string
	Err   error
}

func (e *FileError) Error() string { return e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// UnknownTargetError is a requested name no target or group has.
type UnknownTargetError struct {
	Name  string
	Known []string // the definition's targets and groups, sorted
	Files []string
}

func (e *UnknownTargetError) Error() string {
	where := strings.Join(e.Files, ", ")
	if best, ok := suggest.Search(e.Name, e.Known, true); ok {
		return fmt.Sprintf("unknown target or group %q in %s (did you mean %q?)", e.Name, where, best)
	}
	if e.Name == "default" {
		return fmt.Sprintf("%s has no target or group named default: name one of %s", where, strings.Join(e.Known, ", "))
	}
	return fmt.Sprintf("unknown target or group %q in %s (known: %s)", e.Name, where, strings.Join(e.Known, ", "))
}

// ContextError is a target whose local build context is not a directory.
type ContextError struct {
	Target  string
	Context string // as resolved, relative to the working directory
	Err     error
}

func (e *ContextError) Error() string {
	return fmt.Sprintf("target %s: build context %s: %v", e.Target, e.Context, e.Err)
}
func (e *ContextError) Unwrap() error { return e.Err }

// checkNames fails on a requested name that is neither a target nor a
// group; patterns are left to buildx, whose error names them.
func checkNames(cfg *bx.Config, names, files []string) error {
	known := map[string]bool{}
	for _, g := range cfg.Groups {
		known[g.Name] = true
	}
	for _, t := range cfg.Targets {
		known[t.Name] = true
	}
	for _, name := range names {
		if strings.ContainsAny(name, "*?[]") {
			if _, err := path.Match(name, ""); err != nil {
				return fmt.Errorf("target pattern %q: %w", name, err)
			}
			continue
		}
		// buildx reads a compose service's dots as underscores.
		if !known[strings.ReplaceAll(name, ".", "_")] {
			return &UnknownTargetError{Name: name, Known: sortedKeys(known), Files: files}
		}
	}
	return nil
}
