package cairn

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/containerd/platforms"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/planner"
)

// LoadOptions say where a build is described and what the command line
// overrides. The zero value reads ./build.yaml when present.
type LoadOptions struct {
	// Path is the build context as `docker build PATH` names it: its
	// build.yaml when it has one (and Config is ""), else PATH/Dockerfile
	// (unless Overrides.Dockerfile) with PATH as the context. "" is none.
	Path string
	// Config is the build.yaml path; "" is PATH's build.yaml when PATH
	// has one, none when it has not (never the current directory's), and
	// config.DefaultFile when it exists and there is no PATH.
	Config string
	// File, when set, is the build description itself (a bake target's).
	File *config.File
	// Overrides are the command-line values; each set one beats the file's.
	Overrides config.Overrides
	// Env looks up {env.NAME} in templates and $SOURCE_DATE_EPOCH; nil
	// means os.LookupEnv.
	Env func(string) (string, bool)
	// SourceDateEpoch makes images reproducible: "" is $SOURCE_DATE_EPOCH
	// when set, else EpochGit (the context's commit time; 0 outside a
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
	// BuildPlatform is the platform the plan assumes builds: this
	// machine's after Load; Run plans again for the daemon's worker.
	BuildPlatform ocispecs.Platform
	// Name names the project in RunAll's errors (a bake target's name);
	// Links map named contexts to the projects (by Name) whose images they
	// are, which RunAll builds first and passes by digest.
	Name  string
	Links map[string]string

	env        func(string) (string, bool) // LoadOptions.Env
	configFile string                      // the build.yaml read; "" for none
}

// Load reads the build description and the Dockerfile and plans the build.
// It needs no daemon and no registry. Mistakes in build.yaml or the
// Dockerfile are errors naming the file, line and field.
func Load(ctx context.Context, opts LoadOptions) (*Project, error) {
	env := opts.Env
	if env == nil {
		env = os.LookupEnv
	}
	cf, err := opts.applyPath()
	if err != nil {
		return nil, err
	}
	file := opts.File
	if file == nil {
		if file, err = cf.load(); err != nil {
			return nil, err
		}
	}
	// The checkout is read first: its branch names the cache tier when
	// neither --branch nor the CI does.
	src, err := readSource(ctx, file.ContextDir(opts.Overrides), opts.SourceDateEpoch, env)
	if err != nil {
		return nil, err
	}
	o := opts.Overrides
	o.CheckoutBranch = src.Branch
	cfg, err := file.Resolve(o, env)
	if err != nil {
		return nil, err
	}
	dockerfile, err := os.ReadFile(cfg.Dockerfile)
	if err != nil {
		return nil, fmt.Errorf("read Dockerfile: %w", err)
	}
	host := platforms.Normalize(platforms.DefaultSpec())
	plan, err := planner.New(dockerfile, cfg.PlanOptionsFor(host))
	if err != nil {
		return nil, err
	}
	p := &Project{Config: cfg, Dockerfile: dockerfile, Plan: plan, Source: src, BuildPlatform: host, env: env}
	if file.Path() != config.Default().Path() {
		p.configFile = file.Path()
	}
	return p, nil
}

// TargetPlatforms are the platforms the plan builds for: build.yaml's or
// --platform's, else the build platform, as in BuildKit.
func (p *Project) TargetPlatforms() []string {
	if len(p.Plan.Platforms) > 0 {
		return p.Plan.Platforms
	}
	return []string{platforms.Format(p.BuildPlatform)}
}

// ForBuildPlatform is the project planned again for a build on bp (the
// BuildKit worker's platform): BUILDPLATFORM, and TARGETPLATFORM when no
// platform is set, select the stages. p is not changed.
func (p *Project) ForBuildPlatform(bp ocispecs.Platform) (*Project, error) {
	bp = platforms.Normalize(bp)
	if platforms.Format(bp) == platforms.Format(p.BuildPlatform) {
		return p, nil
	}
	plan, err := planner.New(p.Dockerfile, p.Config.PlanOptionsFor(bp))
	if err != nil {
		return nil, err
	}
	q := *p
	q.Plan, q.BuildPlatform = plan, bp
	return &q, nil
}

// configFile is the build.yaml a Load reads: path, "" for none (the
// overrides alone describe the build); optional when its absence means none.
type configFile struct {
	path     string
	optional bool
}

// applyPath turns Path into the context and Dockerfile it names, and says
// which build.yaml describes the build: Config, else PATH's, else none —
// never the current directory's when PATH is given.
func (o *LoadOptions) applyPath() (configFile, error) {
	if o.Path == "" {
		if o.Config != "" {
			return configFile{path: o.Config}, nil
		}
		return configFile{path: config.DefaultFile, optional: true}, nil
	}
	info, err := os.Stat(o.Path)
	switch {
	case err != nil:
		return configFile{}, &PathError{fmt.Errorf("build context %s: %w", o.Path, err)}
	case !info.IsDir():
		return configFile{}, &PathError{fmt.Errorf("build context %s is not a directory", o.Path)}
	case o.Overrides.Context != "":
		return configFile{}, &PathError{&config.OptionError{Option: "Overrides.Context", Value: o.Overrides.Context, Err: fmt.Errorf("PATH (%s) names the build context too: give one", o.Path)}}
	case o.Config != "":
		o.Overrides.Context = o.Path
		return configFile{path: o.Config}, nil
	}
	own := filepath.Join(o.Path, config.DefaultFile)
	if _, err := os.Stat(own); err == nil {
		return configFile{path: own}, nil
	}
	o.Overrides.Context = o.Path
	if o.Overrides.Dockerfile == "" {
		o.Overrides.Dockerfile = filepath.Join(o.Path, config.DefaultDockerfile)
	}
	return configFile{}, nil
}

// PathError is a LoadOptions.Path that cannot be the build context: it
// does not exist, is not a directory, or the overrides name another.
type PathError struct{ Err error }

func (e *PathError) Error() string { return e.Err.Error() }
func (e *PathError) Unwrap() error { return e.Err }

func (c configFile) load() (*config.File, error) {
	if c.path == "" {
		return config.Default(), nil
	}
	f, err := config.Load(c.path)
	if c.optional && errors.Is(err, os.ErrNotExist) {
		return config.Default(), nil
	}
	return f, err
}
