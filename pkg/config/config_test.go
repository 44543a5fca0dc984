package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/cairn-build/cairn/pkg/planner"
)

const full = `version: 1
repository: registry.example.com/team/app
dockerfile: build/Dockerfile
context: src
args: { GO_VERSION: 1.26, DEBUG: "false" }
platforms: [linux/amd64]
insecureRegistries: ["registry.internal:5000"]
cache:
  mode: max
  ref: "cache.example.com/app:{stage}"
  fallback: ["{repository}:cache-{stage}-main"]
targets:
  runtime:
    tags: ["latest", "{env.VERSION}", "other.example.com/app:{target}"]
  test:
    push: false
`

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

// resolve parses a build.yaml and resolves it with o, in the environment vars.
func resolve(t *testing.T, yaml string, o Overrides, vars map[string]string) *Build {
	t.Helper()
	return resolveFile(t, "build.yaml", yaml, o, vars)
}

// resolveFile is resolve of the build.yaml at path file.
func resolveFile(t *testing.T, file, yaml string, o Overrides, vars map[string]string) *Build {
	t.Helper()
	f, err := Parse(file, []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Resolve(o, env(vars))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantFileError checks that build.yaml's text fails to parse or resolve
// with the *Error want.
func wantFileError(t *testing.T, yaml string, o Overrides, vars map[string]string, want string) {
	t.Helper()
	f, err := Parse("build.yaml", []byte(yaml))
	if err == nil {
		_, err = f.Resolve(o, env(vars))
	}
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	if err.Error() != want {
		t.Errorf("error:\n got %s\nwant %s", err, want)
	}
	if !errors.As(err, new(*Error)) {
		t.Errorf("error is %T, want *config.Error", err)
	}
}

func TestParseAndResolve(t *testing.T) {
	b := resolveFile(t, "ci/build.yaml", full, Overrides{Args: map[string]string{"DEBUG": "true"}}, map[string]string{"VERSION": "v1.2.3"})
	checks := []struct {
		name      string
		got, want any
	}{
		{"dockerfile", b.Dockerfile, "ci/build/Dockerfile"},
		{"context", b.Context, "ci/src"},
		{"args", b.Args, map[string]string{"GO_VERSION": "1.26", "DEBUG": "true"}},
		{"cache mode", b.CacheMode, CacheMax},
		{"insecure registries", b.InsecureRegistries, []string{"registry.internal:5000"}},
		{"cache ref", b.CacheRef("deps"), "cache.example.com/app:deps"},
		{"fallbacks", b.CacheFallbacks("deps"), []string{"registry.example.com/team/app:cache-deps-main"}},
		{"targets", b.Targets, []planner.Target{
			{Name: "runtime", Push: true, Tags: []string{
				"registry.example.com/team/app:latest",
				"registry.example.com/team/app:v1.2.3",
				"other.example.com/app:runtime",
			}},
			{Name: "test", Push: false, Tags: []string{}},
		}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestOverrides(t *testing.T) {
	f, err := Parse("build.yaml", []byte(full))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		o        Overrides
		wantRef  string
		wantTags []planner.Target
	}{
		{
			name:     "target and tag flags replace the file's selection",
			o:        Overrides{Repository: "localhost:5000/app", Targets: []string{"builder"}, Tags: []string{"dev"}, CacheMode: "inline"},
			wantRef:  "cache.example.com/app:deps",
			wantTags: []planner.Target{{Name: "builder", Push: true, Tags: []string{"localhost:5000/app:dev"}}},
		},
		{
			name:     "a selected target keeps the file's push and tags",
			o:        Overrides{Targets: []string{"test"}, CacheRef: "{repository}:c-{stage}"},
			wantRef:  "registry.example.com/team/app:c-deps",
			wantTags: []planner.Target{{Name: "test", Push: false, Tags: []string{}}},
		},
		{
			name:     "cache off drops every ref",
			o:        Overrides{Targets: []string{"test"}, CacheMode: "off"},
			wantRef:  "",
			wantTags: []planner.Target{{Name: "test", Push: false, Tags: []string{}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := f.Resolve(tt.o, env(map[string]string{"VERSION": "v1"}))
			if err != nil {
				t.Fatal(err)
			}
			if got := b.CacheRef("deps"); got != tt.wantRef {
				t.Errorf("CacheRef = %q, want %q", got, tt.wantRef)
			}
			if !reflect.DeepEqual(b.Targets, tt.wantTags) {
				t.Errorf("Targets = %#v, want %#v", b.Targets, tt.wantTags)
			}
		})
	}
}

func TestDefaultsWithoutFile(t *testing.T) {
	b, err := Default().Resolve(Overrides{}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if b.Dockerfile != "Dockerfile" || b.Context != "." || b.CacheMode != CacheInline {
		t.Errorf("defaults: %+v", b)
	}
	if b.CacheRef("deps") != "" || len(b.Notes) != 1 {
		t.Errorf("no repository: want no cache ref and a note, got %q, %q", b.CacheRef("deps"), b.Notes)
	}
	if b.Targets != nil {
		t.Errorf("no targets selected: want the planner's default, got %v", b.Targets)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		env        map[string]string
		want       string // the whole error message
	}{
		{"empty", "", nil, "build.yaml: empty file: want at least `version: 1`"},
		{"no version", "repository: a/b\n", nil, "build.yaml: version: missing: want `version: 1`"},
		{"bad version", "version: 2\n", nil, "build.yaml:1: version: unsupported version 2: want 1"},
		{"version not a number", "version: one\n", nil, `build.yaml:1: version: want an integer, got "one"`},
		{"unknown top-level key", "version: 1\nrepo: a/b\n", nil, `build.yaml:2: repo: unknown field (did you mean "repository"?)`},
		{"unknown key, nothing near", "version: 1\nxyzzy: 1\n", nil, "build.yaml:2: xyzzy: unknown field (known: addHosts, annotations, args, attest, bake, baseImages, buildContexts, builders, cache, context, dockerfile, insecureRegistries, labels, network, platforms, registryMirrors, release, repository, secrets, shmSize, sign, ssh, targets, ulimits, version)"},
		{"unknown target key", "version: 1\ntargets:\n  app:\n    tagz: [x]\n", nil, `build.yaml:4: targets.app.tagz: unknown field (did you mean "tags"?)`},
		{"tags not a list", "version: 1\ntargets:\n  app:\n    tags: latest\n", nil, `build.yaml:4: targets.app.tags: want a list, got "latest"`},
		{"push not a bool", "version: 1\ntargets:\n  app:\n    push: maybe\n", nil, `build.yaml:4: targets.app.push: want true or false, got "maybe"`},
		{"args not a mapping", "version: 1\nargs: [A]\n", nil, "build.yaml:2: args: want a mapping, got a list"},
		{"duplicate key", "version: 1\nversion: 1\n", nil, "build.yaml:2: version: defined twice (first on line 1)"},
		{"duplicate target", "version: 1\ntargets:\n  a: {}\n  a: {}\n", nil, "build.yaml:4: targets.a: defined twice (first on line 3)"},
		{"bad yaml", "version: 1\n  x: [\n", nil, "build.yaml:2: invalid YAML: mapping values are not allowed in this context"},
		{"bad cache mode", "version: 1\ncache:\n  mode: maximal\n", nil, `build.yaml:3: cache.mode: unknown cache mode "maximal": want inline, max or off`},
		{"unknown template variable", "version: 1\ncache:\n  ref: \"{repo}:{stage}\"\n", nil, `build.yaml:3: cache.ref: unknown variable {repo} in "{repo}:{stage}" (known here: {repository}, {stage}, {branch}, {env.NAME})`},
		{"cache ref without stage", "version: 1\ncache:\n  ref: \"a/b:cache\"\n", nil, `build.yaml:3: cache.ref: "a/b:cache" must contain {stage}: every stage needs its own cache ref`},
		{"stage in a tag", "version: 1\nrepository: a/b\ntargets:\n  app:\n    tags: [\"{stage}\"]\n", nil, `build.yaml:5: targets.app.tags: unknown variable {stage} in "{stage}" (known here: {repository}, {target}, {branch}, {pr}, {env.NAME})`},
		{"unset env in a tag", "version: 1\nrepository: a/b\ntargets:\n  app:\n    tags: [\"{env.VERSION}\"]\n", nil, `build.yaml:5: targets.app.tags: {env.VERSION} in "{env.VERSION}": environment variable VERSION is not set`},
		{"bare tag without repository", "version: 1\ntargets:\n  app:\n    tags: [latest]\n", nil, `build.yaml:4: targets.app.tags: tag "latest" needs a repository (set repository: or Overrides.Repository)`},
		{"invalid tag", "version: 1\nrepository: a/b\ntargets:\n  app:\n    tags: [\"{env.V}\"]\n", map[string]string{"V": "-bad"}, `build.yaml:5: targets.app.tags: "-bad" is not a valid tag`},
		{"invalid repository", "version: 1\nrepository: Team/App\n", nil, "build.yaml:2: repository: repository can only contain the characters `abcdefghijklmnopqrstuvwxyz0123456789_-./`: Team/App"},
		{"insecure registry with a scheme", "version: 1\ninsecureRegistries: [\"http://reg:5000\"]\n", nil, `build.yaml:2: insecureRegistries[0]: "http://reg:5000" is not a registry host[:port] (no scheme, no path)`},
		{"invalid platform", "version: 1\nplatforms: [\"linux/amd64/v2/x\"]\n", nil, "build.yaml:2: platforms[0]: \"linux/amd64/v2/x\": cannot parse platform specifier: invalid argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantFileError(t, tt.yaml, Overrides{}, tt.env, tt.want)
		})
	}
}

// TestOverrideErrorsNameTheField: a bad override is an *OptionError that
// names its field of Overrides, never a flag.
func TestOverrideErrorsNameTheField(t *testing.T) {
	testResolveErrors(t, []resolveCase{
		{"bad repository flag", "", Overrides{Repository: "UPPER/x"}, "Overrides.Repository:"},
		{"bad cache mode flag", "", Overrides{CacheMode: "all"}, `Overrides.CacheMode: unknown cache mode "all"`},
		{"bad cache ref flag", "", Overrides{CacheRef: "a:b"}, "Overrides.CacheRef:"},
		{"bare tag flag without repository", "", Overrides{Targets: []string{"x"}, Tags: []string{"v1"}}, `Overrides.Tags: tag "v1" needs a repository (set repository: or Overrides.Repository)`},
		{"bad platform flag", "", Overrides{Platforms: []string{"linux/amd64,nope/x/y/z"}}, `Overrides.Platforms: "nope/x/y/z": cannot parse platform specifier`},
		{"insecure registry with a path", "", Overrides{InsecureRegistries: []string{"reg/x"}}, `Overrides.InsecureRegistries: "reg/x" is not a registry host[:port]`},
		{"bad cache mounts mode", "", Overrides{CacheMounts: "sometimes"}, `Overrides.CacheMounts: unknown cache mounts mode "sometimes"`},
	})
}

// resolveCase is build.yaml ("version: 1\n" and yaml) resolved with o, and
// the start of the error it gives.
type resolveCase struct {
	name, yaml string
	o          Overrides
	want       string
}

func testResolveErrors(t *testing.T, tests []resolveCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantResolveError(t, tt.yaml, tt.o, tt.want) })
	}
}

// wantResolveError resolves "version: 1\n"+yaml with o and wants an error
// that starts with want; one that names an override is an *OptionError
// whose Option is a field of Overrides.
func wantResolveError(t *testing.T, yaml string, o Overrides, want string) {
	t.Helper()
	f, err := Parse("build.yaml", []byte("version: 1\n"+yaml))
	if err == nil {
		_, err = f.Resolve(o, env(nil))
	}
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %v, want prefix %q", err, want)
		return
	}
	var oe *OptionError
	if strings.HasPrefix(want, "Overrides.") && (!errors.As(err, &oe) || !isOverride(oe.Option)) {
		t.Errorf("error %v is no *OptionError naming a field of Overrides", err)
	}
}

// isOverride reports whether option ("Overrides.Docker.Labels") names a
// field of Overrides.
func isOverride(option string) bool {
	path, ok := strings.CutPrefix(option, "Overrides.")
	typ := reflect.TypeFor[Overrides]()
	for _, name := range strings.Split(path, ".") {
		if typ.Kind() != reflect.Struct {
			return false
		}
		field, found := typ.FieldByName(name)
		if !found {
			return false
		}
		typ = field.Type
	}
	return ok
}

func TestTargetOrderIsKept(t *testing.T) {
	f, err := Parse("build.yaml", []byte("version: 1\ntargets:\n  zeta: {}\n  alpha: {}\n  mid:\n"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tgt := range f.Targets {
		names = append(names, tgt.Name)
	}
	if want := []string{"zeta", "alpha", "mid"}; !reflect.DeepEqual(names, want) {
		t.Errorf("targets %v, want %v", names, want)
	}
}

// FuzzParse: no input makes Parse or Resolve panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(full))
	f.Add([]byte("version: 1\ntargets:\n  a: &x {tags: [a]}\n  b: *x\n"))
	f.Add([]byte("version: 1\ncache: {ref: \"{\"}\n"))
	f.Add([]byte("- a\n- b\n"))
	f.Add([]byte("version: 1\nargs: {a: {b: c}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("build.yaml", data)
		if err != nil {
			return
		}
		_, _ = file.Resolve(Overrides{}, env(map[string]string{"VERSION": "v1"}))
	})
}
