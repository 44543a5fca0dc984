package planner

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/cairn-build/cairn/internal/dfparse"
)

// defaultPath is the PATH dockerfile2llb sets when the base image has none
// (system.DefaultPathEnv for linux).
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// mountScan finds the cache mounts of the planned stages for one
// TARGETSTAGE value. A stage built FROM an image starts from that image's
// ENV and WORKDIR, which cairn does not know, so every stage is evaluated
// in two worlds: one where the variables the Dockerfile does not set are
// unset (what BuildKit sees for an image without them), one where they are
// set (to each of setProbes). A mount that comes out differently depends
// on the image.
type mountScan struct {
	df     *dockerfile
	opts   Options
	bases  func(i int) dfparse.Base
	global *dfparse.Env
	memo   map[[2]int]*stageEnv // by stage index and world
}

const (
	worldUnset = iota // image variables unset
	worldSet          // image variables set to a probe value
)

// stageEnv is what dockerfile2llb's dispatch state holds of a stage.
type stageEnv struct {
	env     *varEnv // the llb.State env: ENV and ARG values
	image   *varEnv // the image config env: ENV values
	workdir string
	broken  string // why later expansions cannot be trusted
	runs    []runMounts
}

// runMounts are the mounts of one RUN in one world.
type runMounts struct {
	line  int
	cache bool // the instruction mentions a cache mount (for a failed parse)
	// evals are the evaluations that parsed: one per probe value of the
	// image variables the RUN reads; err is the first failure.
	evals   [][]*instructions.Mount
	err     error
	unknown []string // image variables the options read
	workdir string
}

// setProbes are the values image variables take when a RUN's options read
// them in the world where they are set: a number, a sharing mode and a
// mount type, so that each option can parse with one of them. A mount that
// comes out differently under any of them depends on the image.
var setProbes = []string{"1", "private", "cache"}

// varEnv is an ordered set of variables, a shell.EnvGetter.
type varEnv struct {
	keys      []string
	vals      map[string]string
	fromImage bool // variables not set here may come from a base image's ENV
	world     int
	probe     string // value of image variables in worldSet
	probed    bool   // a lookup returned probe
	// roots are, per variable, the image variables its value was made of.
	roots map[string][]string
}

func newVarEnv(world int, fromImage bool) *varEnv {
	return &varEnv{vals: map[string]string{}, roots: map[string][]string{}, world: world, fromImage: fromImage, probe: setProbes[0]}
}

// Get looks key up; in the world where image variables are set, a variable
// the Dockerfile never set has the current probe value.
func (e *varEnv) Get(key string) (string, bool) {
	if v, ok := e.vals[key]; ok {
		return v, true
	}
	if e.fromImage && e.world == worldSet {
		e.probed = true
		return e.probe, true
	}
	return "", false
}

// Keys returns the keys in the order they were first set.
func (e *varEnv) Keys() []string { return e.keys }

func (e *varEnv) set(key, val string, roots []string) {
	if _, ok := e.vals[key]; !ok {
		e.keys = append(e.keys, key)
	}
	e.vals[key] = val
	if len(roots) == 0 {
		delete(e.roots, key)
	} else {
		e.roots[key] = roots
	}
}

func (e *varEnv) clone() *varEnv {
	c := newVarEnv(e.world, e.fromImage)
	for _, k := range e.keys {
		c.set(k, e.vals[k], e.roots[k])
	}
	return c
}

// union merges sorted name lists.
func union(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// stage evaluates stage i in world w, memoized.
func (s *mountScan) stage(i, w int) *stageEnv {
	key := [2]int{i, w}
	if st, ok := s.memo[key]; ok {
		return st
	}
	st, cmds := s.start(i, w)
	line := s.df.StageLine(i)
	for _, c := range cmds {
		l := line
		if c.own {
			l = dfparse.RangeLine(c.cmd.Location())
		}
		s.dispatch(st, c.cmd, l)
	}
	s.memo[key] = st
	return st
}

type stageCmd struct {
	cmd instructions.Command
	own bool // false for an ONBUILD trigger of the base stage
}

// start is a stage's state before its first command, as dispatchStages and
// dispatchState.init set it up, and the commands to run: the base stage's
// ONBUILD triggers first. ONBUILD triggers of a base image are unknown.
func (s *mountScan) start(i, w int) (*stageEnv, []stageCmd) {
	b := s.bases(i)
	var st *stageEnv
	var cmds []stageCmd
	switch {
	case b.Stage >= 0:
		p := s.stage(b.Stage, w)
		st = &stageEnv{env: p.env.clone(), image: p.image.clone(), workdir: p.workdir, broken: p.broken}
		for _, k := range p.image.keys {
			st.env.set(k, p.image.vals[k], p.image.roots[k])
		}
		for _, c := range s.df.Stages[b.Stage].Commands {
			ob, ok := c.(*instructions.OnbuildCommand)
			if !ok {
				continue
			}
			trigger, err := parseTrigger(ob.Expression)
			if err != nil {
				st.broken = "cannot parse an ONBUILD trigger of the base stage: " + err.Error()
				continue
			}
			cmds = append(cmds, stageCmd{cmd: trigger})
		}
	case b.Name == dfparse.Scratch:
		st = &stageEnv{env: newVarEnv(w, false), image: newVarEnv(w, false), workdir: "/"}
		st.env.set("PATH", defaultPath, nil)
		st.image.set("PATH", defaultPath, nil)
	default:
		st = &stageEnv{env: newVarEnv(w, true), image: newVarEnv(w, true), workdir: "/"}
		// The image's ENV, PATH (which BuildKit adds when the image has none)
		// and WORKDIR are unknown.
		p := defaultPath
		if w == worldSet {
			p, st.workdir = "1", "/1"
		}
		st.env.set("PATH", p, []string{"PATH"})
		st.image.set("PATH", p, []string{"PATH"})
	}
	for _, c := range s.df.Stages[i].Commands {
		cmds = append(cmds, stageCmd{cmd: c, own: true})
	}
	return st, cmds
}

// dispatch applies one command's effect on the env, workdir and mounts, as
// dockerfile2llb's dispatch does. An expansion error fails the build in
// BuildKit; here it only makes what follows untrustworthy.
func (s *mountScan) dispatch(st *stageEnv, cmd instructions.Command, line int) {
	var err error
	switch c := cmd.(type) {
	case *instructions.ArgCommand:
		err = s.arg(st, c)
	case *instructions.EnvCommand:
		err = s.env(st, c)
	case *instructions.WorkdirCommand:
		var dir string
		if dir, _, err = s.expand(c.Path, st.env); err == nil {
			st.workdir = joinWorkdir(st.workdir, dir)
		}
	case *instructions.RunCommand:
		st.runs = append(st.runs, s.run(st, c, line))
	}
	if err != nil && st.broken == "" {
		st.broken = fmt.Sprintf("cannot evaluate %s on line %d: %v", strings.ToUpper(cmd.Name()), line, err)
	}
}

// arg mirrors dispatchArg: a build arg, else the expanded default, else
// the global ARG's value; ARGs without a value set nothing.
func (s *mountScan) arg(st *stageEnv, c *instructions.ArgCommand) error {
	for _, kv := range c.Args {
		var val string
		var roots []string
		if v, ok := s.opts.BuildArgs[kv.Key]; ok {
			val = v
		} else if kv.Value != nil {
			var err error
			if val, roots, err = s.expand(*kv.Value, st.env); err != nil {
				return err
			}
		} else if v, ok := s.global.Get(kv.Key); ok {
			val = v
		} else {
			continue
		}
		if kv.Key != "BUILDKIT_SBOM_SCAN_CONTEXT" && kv.Key != "BUILDKIT_SBOM_SCAN_STAGE" {
			st.env.set(kv.Key, val, roots)
		}
	}
	return nil
}

// env mirrors dispatchEnv: every key and value is expanded first, with the
// env as it was before the instruction.
func (s *mountScan) env(st *stageEnv, c *instructions.EnvCommand) error {
	type pair struct {
		k, v  string
		roots []string
	}
	pairs := make([]pair, 0, len(c.Env))
	for _, kv := range c.Env {
		k, kr, err := s.expand(kv.Key, st.env)
		if err != nil {
			return err
		}
		v, vr, err := s.expand(kv.Value, st.env)
		if err != nil {
			return err
		}
		pairs = append(pairs, pair{k, v, union(kr, vr)})
	}
	for _, p := range pairs {
		st.env.set(p.k, p.v, p.roots)
		st.image.set(p.k, p.v, p.roots)
	}
	return nil
}

// run evaluates a RUN's mounts as RunCommand.Expand does, once per probe
// value in the world where image variables are set.
func (s *mountScan) run(st *stageEnv, c *instructions.RunCommand, line int) runMounts {
	r := runMounts{line: line, workdir: st.workdir, cache: strings.Contains(strings.ToLower(c.String()), "cache")}
	if len(instructions.GetMounts(c)) == 0 {
		r.evals = [][]*instructions.Mount{nil}
		return r
	}
	probes := setProbes[:1]
	if st.env.world == worldSet && st.env.fromImage {
		probes = setProbes
	}
	defer func() { st.env.probe = setProbes[0] }()
	for k, probe := range probes {
		if k > 0 && !st.env.probed {
			break // no option read an image variable: every probe gives the same
		}
		st.env.probe, st.env.probed = probe, false
		var mounts []*instructions.Mount
		err := dfparse.Safely(func() error {
			err := c.Expand(func(word string) (string, error) {
				v, roots, err := s.expand(word, st.env)
				r.unknown = union(r.unknown, roots)
				return v, err
			})
			mounts = instructions.GetMounts(c)
			return err
		})
		if err != nil {
			r.err = cmp.Or(r.err, err)
			continue
		}
		r.evals = append(r.evals, mounts)
	}
	return r
}

// expand expands word and returns the image variables it read.
func (s *mountScan) expand(word string, env *varEnv) (string, []string, error) {
	res, err := s.df.expand(word, env)
	if err != nil {
		return "", nil, err
	}
	var roots []string
	if env.fromImage {
		for k := range res.Unmatched {
			roots = append(roots, k)
		}
	}
	for k := range res.Matched {
		roots = append(roots, env.roots[k]...)
	}
	return res.Result, union(roots), nil
}

// joinWorkdir mirrors system.NormalizeWorkdir on linux.
func joinWorkdir(current, dir string) string {
	switch {
	case dir == "":
		return current
	case path.IsAbs(dir):
		return path.Clean(dir)
	}
	return path.Join("/", current, dir)
}
