package cairn

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/planner"
)

// LoadOptions say where a build is described and what the command line
// overrides. The zero value reads ./build.yaml when present.
type LoadOptions struct {
	// Config is the build.yaml path; "" reads config.DefaultFile when it
	// exists and builds from the overrides alone when it does not.
	Config string
	// Overrides are the command-line values; each set one beats the file's.
	Overrides config.Overrides
	// Env looks up {env.NAME} in templates and $SOURCE_DATE_EPOCH; nil
	// means os.LookupEnv.
	Env func(string) (string, bool)
	// SourceDateEpoch makes images reproducible: "" is $SOURCE_DATE_EPOCH
	// when set, else EpochGit (the context's commit time; none outside a
	// checkout); EpochOff; or Unix seconds.
	SourceDateEpoch string
}

// Project is a loaded build: its resolved description, its Dockerfile and
// the plan of the stages its targets need.
type Project struct {
	Config     *config.Build
	Dockerfile []byte
	Plan       *planner.Plan
	Source     Source
}

// Load reads the build description and the Dockerfile and plans the build.
// It needs no daemon and no registry. Mistakes in build.yaml or the
// Dockerfile are errors naming the file, line and field.
func Load(ctx context.Context, opts LoadOptions) (*Project, error) {
	env := opts.Env
	if env == nil {
		env = os.LookupEnv
	}
	file, err := loadConfig(opts.Config)
	if err != nil {
		return nil, err
	}
	cfg, err := file.Resolve(opts.Overrides, env)
	if err != nil {
		return nil, err
	}
	dockerfile, err := os.ReadFile(cfg.Dockerfile)
	if err != nil {
		return nil, fmt.Errorf("read Dockerfile: %w", err)
	}
	plan, err := planner.New(dockerfile, cfg.PlanOptions())
	if err != nil {
		return nil, err
	}
	src, err := readSource(ctx, cfg.Context, opts.SourceDateEpoch, env)
	if err != nil {
		return nil, err
	}
	return &Project{Config: cfg, Dockerfile: dockerfile, Plan: plan, Source: src}, nil
}

func loadConfig(path string) (*config.File, error) {
	if path != "" {
		return config.Load(path)
	}
	f, err := config.Load(config.DefaultFile)
	if errors.Is(err, os.ErrNotExist) {
		return config.Default(), nil
	}
	return f, err
}

// ParseBuildArgs reads KEY=VALUE pairs as docker build does: a bare KEY
// takes its value from env, and is left out when env has none.
func ParseBuildArgs(values []string, env func(string) (string, bool)) (map[string]string, error) {
	args := make(map[string]string, len(values))
	for _, kv := range values {
		k, v, ok := strings.Cut(kv, "=")
		if k == "" {
			return nil, fmt.Errorf("--build-arg %q: want KEY=VALUE", kv)
		}
		if !ok {
			if v, ok = env(k); !ok {
				continue
			}
		}
		args[k] = v
	}
	return args, nil
}
