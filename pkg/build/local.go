package build

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/buildkit/client"

	"github.com/cairn-build/cairn/pkg/config"
)

// ErrNoDockerEngine is matched (errors.Is) by the error of a --load run
// on a machine where no Docker engine answers.
var ErrNoDockerEngine = errors.New("no Docker engine reachable")

const optLoad = "Overrides.Docker.Load" // what the errors of loading name

// DockerEngine is nil when the docker CLI reaches an engine, which --load
// needs.
func DockerEngine(ctx context.Context) error {
	if _, err := exec.LookPath("docker"); err != nil {
		return &config.OptionError{Option: optLoad, Err: fmt.Errorf("%w: no docker CLI in PATH", ErrNoDockerEngine)}
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", "version", "--format", "{{.Server.Version}}").CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if msg == "" {
			msg = err.Error()
		}
		return &config.OptionError{Option: optLoad, Err: fmt.Errorf("%w: %s (an output of type=docker writes the archive without one)", ErrNoDockerEngine, msg)}
	}
	return nil
}

// Local is what a build leaves on this machine besides the report and the
// -o outputs (BuildKit writes those while solving): --load and --iidfile.
type Local struct {
	targets []string
	iidFile func(target string) string // "" for none
	loadDir string                     // the docker archives --load loads, one per target
}

// NewLocal is the Local of the targets; with load, Archive names where
// each target's docker archive goes. Call Cleanup when done.
func NewLocal(targets []string, load bool, iidFile func(target string) string) (*Local, error) {
	l := &Local{targets: targets, iidFile: iidFile}
	if load {
		var err error
		if l.loadDir, err = os.MkdirTemp("", "cairn-load-"); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// Archive is the target's docker archive to load; "" without --load.
func (l *Local) Archive(target string) string {
	if l.loadDir == "" {
		return ""
	}
	return filepath.Join(l.loadDir, target+".tar")
}

// Cleanup removes the archives.
func (l *Local) Cleanup() {
	if l.loadDir != "" {
		os.RemoveAll(l.loadDir)
	}
}

// Finish writes each target's image ID to its --iidfile, then loads the
// targets into the Docker engine, each shown as a step of the build.
func (l *Local) Finish(ctx context.Context, res *Result, status chan<- *client.SolveStatus, logger *slog.Logger) error {
	for _, t := range l.targets {
		final, _ := res.Final(t)
		path := l.iidFile(t)
		if path == "" {
			continue
		}
		// docker's image ID is the config digest; a multi-platform image
		// has none, and docker then writes the index digest.
		id := final.ConfigDigest
		if id == "" {
			id = final.Digest
		}
		if err := os.WriteFile(path, []byte(id), 0o644); err != nil {
			return &config.OptionError{Option: "Overrides.Docker.IIDFile", Err: err}
		}
	}
	if l.loadDir == "" {
		return nil
	}
	for _, t := range l.targets {
		step := StartStep(status, "[load] docker load: target "+t)
		out, err := exec.CommandContext(ctx, "docker", "load", "--input", l.Archive(t)).CombinedOutput()
		lines := strings.SplitAfter(strings.TrimSpace(string(out)), "\n")
		step.End(lines, err)
		if err != nil {
			return &config.OptionError{Option: optLoad, Err: fmt.Errorf("target %s: docker load: %w: %s", t, err, strings.TrimSpace(string(out)))}
		}
		logger.Info(fmt.Sprintf("target %s: %s", t, strings.TrimSpace(string(out))))
	}
	return nil
}
