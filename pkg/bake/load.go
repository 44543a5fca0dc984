package bake

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/containerd/platforms"
	bx "github.com/docker/buildx/bake"
	"github.com/docker/buildx/util/urlutil"
)

// Options say which bake definition to read and what the command line
// overrides. As in buildx, HCL variables and compose interpolation read the
// process environment, and relative paths are relative to the working
// directory.
type Options struct {
	// Files are the bake or compose files, merged in order ("-" is Stdin).
	// Empty means $BUILDX_BAKE_FILE, else buildx's default names
	// (compose.yaml … docker-bake.json, docker-bake.hcl and the override
	// files) found in the working directory.
	Files []string
	// Targets are target or group names, or patterns (api-*); empty means
	// "default", as in buildx.
	Targets []string
	// Set are --set overrides: TARGET.FIELD=VALUE (TARGET may be a
	// pattern, FIELD+=VALUE appends).
	Set []string
	// Stdin is read for a file named "-"; nil is os.Stdin.
	Stdin io.Reader
}

// Project is a resolved bake definition.
type Project struct {
	Files []string // the files read, in order
	// Groups are the groups the requested names went through, with their
	// targets, as buildx prints them; "default" lists what was asked for.
	Groups  map[string][]string
	Targets []*Target // sorted by name

	// buildx's resolved values, which --print writes in its own shape.
	targets map[string]*bx.Target
	groups  map[string]*bx.Group
}

// Target returns the named target.
func (p *Project) Target(name string) (*Target, bool) {
	for _, t := range p.Targets {
		if t.Name == name {
			return t, true
		}
	}
	return nil, false
}

// Load reads and resolves the bake definition. Its errors are typed:
// *NotFoundError (no file), *FileError (buildx rejects a file; its message
// is buildx's), *UnknownTargetError. Plan and Builds fail with a
// *ContextError on a local context that is not a directory.
func Load(ctx context.Context, opts Options) (*Project, error) {
	names, err := fileNames(opts.Files)
	if err != nil {
		return nil, err
	}
	stdin := opts.Stdin
	if stdin == nil {
		stdin = os.Stdin
	}
	files, err := bx.ReadLocalFiles(names, stdin, nil)
	if err != nil {
		return nil, &FileError{Err: err}
	}
	if len(files) == 0 {
		return nil, &NotFoundError{}
	}
	parse, err := parseOpt()
	if err != nil {
		return nil, err
	}
	defaults := map[string]string{
		// buildx's built-in variables, with the values a local bake gives them.
		"BAKE_CMD_CONTEXT":    "cwd://",
		"BAKE_LOCAL_PLATFORM": platforms.Format(platforms.DefaultSpec()),
	}
	cfg, _, err := bx.ParseFiles(files, defaults, nil, parse)
	if err != nil {
		return nil, &FileError{Files: fileList(files), Err: err}
	}
	requested := opts.Targets
	if len(requested) == 0 {
		requested = []string{"default"}
	}
	if err := checkNames(cfg, requested, fileList(files)); err != nil {
		return nil, err
	}
	// ReadTargets rewrites the names it is given in place.
	tgts, grps, err := bx.ReadTargets(ctx, files, append([]string(nil), requested...), opts.Set, defaults, nil, &bx.EntitlementConf{}, parse)
	if err != nil {
		return nil, &FileError{Files: fileList(files), Err: err}
	}
	addSourceDateEpoch(tgts)
	cleanContexts(tgts)
	return newProject(files, tgts, grps)
}

func newProject(files []bx.File, tgts map[string]*bx.Target, grps map[string]*bx.Group) (*Project, error) {
	p := &Project{Files: fileList(files), Groups: map[string][]string{}, targets: tgts, groups: grps}
	for name, g := range grps {
		p.Groups[name] = append([]string(nil), g.Targets...)
	}
	for _, name := range sortedKeys(tgts) {
		t, err := newTarget(name, tgts[name])
		if err != nil {
			return nil, err
		}
		p.Targets = append(p.Targets, t)
	}
	return p, nil
}

// fileNames are the files to read: the given ones, else $BUILDX_BAKE_FILE's
// (split on $BUILDX_BAKE_PATH_SEPARATOR, default the OS's list separator),
// else none, which makes buildx look up its default names.
func fileNames(given []string) ([]string, error) {
	if len(given) > 0 {
		return given, nil
	}
	env, ok := os.LookupEnv("BUILDX_BAKE_FILE")
	if !ok {
		return nil, nil
	}
	sep := os.Getenv("BUILDX_BAKE_PATH_SEPARATOR")
	if sep == "" {
		sep = string(os.PathListSeparator)
	}
	var names []string
	for _, n := range strings.Split(env, sep) {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	return names, nil
}

// parseOpt reads $BUILDX_BAKE_FILE_RELATIVE_PATHS as buildx does: paths
// relative to each file's directory instead of the working directory.
func parseOpt() (bx.ParseOpt, error) {
	v := strings.TrimSpace(os.Getenv("BUILDX_BAKE_FILE_RELATIVE_PATHS"))
	if v == "" {
		return bx.ParseOpt{}, nil
	}
	on, err := strconv.ParseBool(v)
	if err != nil {
		return bx.ParseOpt{}, fmt.Errorf("BUILDX_BAKE_FILE_RELATIVE_PATHS=%q: want true or false", v)
	}
	return bx.ParseOpt{FileRelativePaths: on}, nil
}

// addSourceDateEpoch passes $SOURCE_DATE_EPOCH to every target that does
// not set the arg itself, as buildx does.
func addSourceDateEpoch(tgts map[string]*bx.Target) {
	v := os.Getenv("SOURCE_DATE_EPOCH")
	if v == "" {
		return
	}
	for _, t := range tgts {
		if _, ok := t.Args["SOURCE_DATE_EPOCH"]; ok {
			continue
		}
		if t.Args == nil {
			t.Args = map[string]*string{}
		}
		t.Args["SOURCE_DATE_EPOCH"] = &v
	}
}

// cleanContexts writes each context path as buildx's --print shows it:
// cleaned, cwd:// dropped. (buildx does it in TargetsToBuildOpt, which
// also sets up SSH agents and secret stores: not something to run just to
// read files.)
func cleanContexts(tgts map[string]*bx.Target) {
	for _, t := range tgts {
		c := deref(t.Context, ".")
		if v, ok := strings.CutPrefix(c, "cwd://"); ok {
			c = path.Clean(v)
		} else if !urlutil.IsRemoteURL(c) {
			c = path.Clean(c)
		}
		t.Context = &c
	}
}

func fileList(files []bx.File) []string {
	names := make([]string, 0, len(files))
	for _, f := range files {
		names = append(names, f.Name)
	}
	return names
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
