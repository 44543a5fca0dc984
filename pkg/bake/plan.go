package bake

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/planner"
)

// PlanOptions configure Project.Plan.
type PlanOptions struct {
	// BuildPlatform is the BuildKit worker's platform; zero is this
	// machine's, as `cairn plan` assumes.
	BuildPlatform ocispecs.Platform
	// Env looks up the CI's variables (a pull request build writes no
	// cache); nil is os.LookupEnv.
	Env func(string) (string, bool)
}

// Plan is every target's plan, and the stages targets share.
type Plan struct {
	Targets []TargetPlan `json:"targets"` // in the project's order
	// Shared are the stages several targets need with the same inputs:
	// BuildKit solves each once for all of them.
	Shared []SharedStage `json:"shared"`
	// Links are targets other targets read as a named build context
	// (contexts = { NAME = "target:OTHER" }): solved once, for all.
	Links []Link `json:"links"`
}

// Link is a target that other targets use as a build context.
type Link struct {
	Target string   `json:"target"`
	UsedBy []string `json:"usedBy"` // "docs (as api)"
}

// TargetPlan is one bake target planned as `cairn plan` plans a build:
// cairn's defaults (per-stage inline cache under the target's repository).
type TargetPlan struct {
	Target *Target        `json:"target"`
	Build  *config.Build  `json:"-"`
	Plan   *planner.Plan  `json:"plan"`
	key    map[string]key // by stage name, what makes the stage the same as another target's
}

// SharedStage is a stage several targets build from the same context,
// Dockerfile, stage, args and named contexts, on Platforms.
type SharedStage struct {
	Stage      string   `json:"stage"`
	Context    string   `json:"context"`
	Dockerfile string   `json:"dockerfile"`
	Platforms  []string `json:"platforms"`
	Targets    []string `json:"targets"`
}

// key identifies a stage's inputs across targets; platforms is the
// plan's list, comma-separated.
type key struct {
	context, dockerfile, stage, args, contexts, platforms string
}

// Plan plans every target with cairn's planner. It reads the Dockerfiles
// (inline ones are in the target) and fails on a target whose context is
// remote: the planner needs the Dockerfile's text.
func (p *Project) Plan(opts PlanOptions) (*Plan, error) {
	if err := p.checkContexts(); err != nil {
		return nil, err
	}
	if opts.Env == nil {
		opts.Env = os.LookupEnv
	}
	bp := opts.BuildPlatform
	if bp.OS == "" {
		bp = platforms.DefaultSpec()
	}
	bp = platforms.Normalize(bp)
	out := &Plan{Shared: []SharedStage{}}
	for _, t := range p.Targets {
		tp, err := planTarget(t, bp, opts.Env)
		if err != nil {
			return nil, err
		}
		out.Targets = append(out.Targets, tp)
	}
	out.Shared = shared(out.Targets)
	out.Links = links(p.Targets)
	return out, nil
}

func planTarget(t *Target, bp ocispecs.Platform, env func(string) (string, bool)) (TargetPlan, error) {
	dockerfile, name, err := t.readDockerfile()
	if err != nil {
		return TargetPlan{}, err
	}
	b, err := config.Default().Resolve(t.overrides(), env)
	if err != nil {
		return TargetPlan{}, fmt.Errorf("target %s: %w", t.Name, err)
	}
	popts := b.PlanOptionsFor(bp)
	popts.Filename = name
	plan, err := planner.New(dockerfile, popts)
	if err != nil {
		return TargetPlan{}, fmt.Errorf("target %s: %w", t.Name, err)
	}
	tp := TargetPlan{Target: t, Build: b, Plan: plan, key: map[string]key{}}
	platformsKey := strings.Join(plan.Platforms, ",")
	if platformsKey == "" {
		platformsKey = platforms.Format(bp)
	}
	for _, s := range plan.Stages {
		tp.key[s.Name] = key{
			context:    absPath(t.Context, t.Remote()),
			dockerfile: dockerfileID(t, dockerfile),
			stage:      s.Name,
			args:       canonical(t.Args),
			contexts:   canonical(t.Contexts),
			platforms:  platformsKey,
		}
	}
	return tp, nil
}

// readDockerfile returns the target's Dockerfile and the name its errors
// give.
func (t *Target) readDockerfile() ([]byte, string, error) {
	if t.DockerfileInline != "" {
		return []byte(t.DockerfileInline), "dockerfile-inline of target " + t.Name, nil
	}
	if t.Remote() {
		return nil, "", fmt.Errorf("target %s: context %s is remote: cairn plans only local contexts", t.Name, t.Context)
	}
	dt, err := os.ReadFile(t.Dockerfile)
	if err != nil {
		return nil, "", fmt.Errorf("target %s: read Dockerfile: %w", t.Name, err)
	}
	return dt, t.Dockerfile, nil
}

// shared finds, platform by platform, the stages more than one target
// builds with the same inputs, and lists each with the platforms on which
// the same targets share it.
func shared(targets []TargetPlan) []SharedStage {
	by := map[key][]string{}
	var order []key
	for _, tp := range targets {
		for _, s := range tp.Plan.Stages {
			for _, k := range tp.key[s.Name].perPlatform() {
				if _, ok := by[k]; !ok {
					order = append(order, k)
				}
				by[k] = append(by[k], tp.Target.Name)
			}
		}
	}
	out := []SharedStage{}
	index := map[string]int{} // stage inputs and targets → entry in out
	for _, k := range order {
		names := by[k]
		if len(names) < 2 {
			continue
		}
		id := fmt.Sprintf("%v %q", key{context: k.context, dockerfile: k.dockerfile, stage: k.stage, args: k.args, contexts: k.contexts}, names)
		if i, ok := index[id]; ok {
			out[i].Platforms = append(out[i].Platforms, k.platforms)
			continue
		}
		first := targets[slices.IndexFunc(targets, func(tp TargetPlan) bool { return tp.Target.Name == names[0] })].Target
		index[id] = len(out)
		out = append(out, SharedStage{
			Stage: k.stage, Context: first.Context, Dockerfile: dockerfileName(first),
			Platforms: []string{k.platforms}, Targets: names,
		})
	}
	return out
}

// perPlatform splits a key of several platforms into one key each:
// BuildKit solves every platform of a build on its own.
func (k key) perPlatform() []key {
	var out []key
	for _, p := range strings.Split(k.platforms, ",") {
		one := k
		one.platforms = p
		out = append(out, one)
	}
	return out
}

// links lists, per linked target, which targets read it and as what.
func links(targets []*Target) []Link {
	by := map[string][]string{}
	for _, t := range targets {
		for _, name := range sortedKeys(t.Contexts) {
			if other, ok := strings.CutPrefix(t.Contexts[name], "target:"); ok {
				by[other] = append(by[other], fmt.Sprintf("%s (as %s)", t.Name, name))
			}
		}
	}
	out := []Link{}
	for _, name := range sortedKeys(by) {
		out = append(out, Link{Target: name, UsedBy: by[name]})
	}
	return out
}

func dockerfileID(t *Target, dt []byte) string {
	if t.DockerfileInline != "" {
		return "inline " + digest.FromBytes(dt).String()
	}
	return absPath(t.Dockerfile, false)
}

func dockerfileName(t *Target) string {
	if t.DockerfileInline != "" {
		return "(inline)"
	}
	return t.Dockerfile
}

func absPath(p string, remote bool) string {
	if remote {
		return p
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// canonical is a map as one comparable string.
func canonical(m map[string]string) string {
	var b strings.Builder
	for _, k := range sortedKeys(m) {
		fmt.Fprintf(&b, "%q=%q;", k, m[k])
	}
	return b.String()
}
