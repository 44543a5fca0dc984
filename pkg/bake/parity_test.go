package bake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distribution/reference"

	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/bake"
)

// printCases are bake invocations cairn must resolve as buildx does.
var printCases = []struct {
	name string
	dir  string
	args []string
	env  map[string]string
}{
	{"hcl default group and override file", "testdata/shop", nil, nil},
	{"group of groups, matrix, inline, linked target", "testdata/shop", []string{"all"}, nil},
	{"pattern", "testdata/shop", []string{"bin-linux-*"}, nil},
	{"env overrides variables, function", "testdata/shop", []string{"api-cross", "docs", "worker"},
		map[string]string{"VERSION": "3.0.0", "PUSH_LATEST": "true", "REPO": "reg.test/team", "SHOP_TOKEN": "not-printed"}},
	{"--set", "testdata/shop", []string{"--set", "*.platform=linux/arm64", "--set", "api.args.SERVICE=x",
		"--set", "worker.tags=reg.test/w:1", "--set", "api.tags+=reg.test/api:extra", "--set", "api-debug.target=build", "services", "api-debug"}, nil},
	{"compose and its override file", "testdata/compose", []string{"-f", "compose.yaml", "-f", "compose.override.yaml"}, nil},
	{"compose from BUILDX_BAKE_FILE", "testdata/compose", nil, map[string]string{"BUILDX_BAKE_FILE": "compose.yaml:compose.override.yaml"}},
	{"compose and HCL by the default lookup", "testdata/mixed", []string{"release"}, map[string]string{"CHANNEL": "edge"}},
	{"json", "testdata/json", nil, map[string]string{"TAG": "v2"}},
	{"example", "../../examples/bake-two", nil, map[string]string{"CAIRN_REGISTRY": "reg.test", "TAG": "v1"}},
}

// TestPrintMatchesBuildx runs bin/buildx bake --print (built from the tools
// module's pin; --print needs no builder and no Docker) and checks that
// cairn prints the same definition (up to the order of a group's targets),
// and that cairn's own description of
// every target has buildx's context, Dockerfile, stage, tags, args and
// platforms.
func TestPrintMatchesBuildx(t *testing.T) {
	if testing.Short() {
		t.Skip("runs bin/buildx: not with -short")
	}
	buildx, agent := buildxBin(t), sshAgentSocket(t)
	for _, tc := range printCases {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			want := runBuildx(t, buildx, tc.dir, tc.args, tc.env, agent)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			opts := bake.Options{}
			for i := 0; i < len(tc.args); i++ {
				switch tc.args[i] {
				case "-f":
					i++
					opts.Files = append(opts.Files, tc.args[i])
				case "--set":
					i++
					opts.Set = append(opts.Set, tc.args[i])
				default:
					opts.Targets = append(opts.Targets, tc.args[i])
				}
			}
			comparePrint(t, tc.dir, opts, want)
		})
	}
}

// buildxBin is bin/buildx, the oracle.
func buildxBin(t *testing.T) string {
	t.Helper()
	_, binDir, err := testenv.Paths()
	if err != nil {
		t.Fatal(err)
	}
	buildx := filepath.Join(binDir, "buildx")
	if _, err := os.Stat(buildx); err != nil {
		t.Fatalf("%v: make tools builds bin/buildx", err)
	}
	return buildx
}

// comparePrint checks that cairn, in dir with opts, prints want (buildx's
// --print) and describes each target as it says.
func comparePrint(t *testing.T, dir string, opts bake.Options, want []byte) {
	t.Helper()
	p, err := load(t, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := p.WritePrint(&got); err != nil {
		t.Fatal(err)
	}
	if g, w := normalized(t, got.Bytes()), normalized(t, want); g != w {
		t.Errorf("cairn prints\n%s\nbuildx prints\n%s", g, w)
	}
	compareTargets(t, p, want)
}

// normalized is a --print document with each group's targets sorted:
// buildx lists the targets a matrix makes in map order, different from
// run to run.
func normalized(t *testing.T, printed []byte) string {
	t.Helper()
	var def map[string]map[string]any
	if err := json.Unmarshal(printed, &def); err != nil {
		t.Fatalf("%v in %s", err, printed)
	}
	for _, g := range def["group"] {
		if targets, ok := g.(map[string]any)["targets"].([]any); ok {
			slices.SortFunc(targets, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
		}
	}
	out, err := json.MarshalIndent(def, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// compareTargets checks cairn's Target values against buildx's JSON.
func compareTargets(t *testing.T, p *bake.Project, printed []byte) {
	t.Helper()
	var def struct {
		Target map[string]struct {
			Context    string             `json:"context"`
			Dockerfile string             `json:"dockerfile"`
			Target     string             `json:"target"`
			Tags       []string           `json:"tags"`
			Args       map[string]*string `json:"args"`
			Platforms  []string           `json:"platforms"`
		} `json:"target"`
	}
	if err := json.Unmarshal(printed, &def); err != nil {
		t.Fatal(err)
	}
	if len(def.Target) != len(p.Targets) {
		t.Errorf("buildx resolves %d targets, cairn %d", len(def.Target), len(p.Targets))
	}
	for name, bt := range def.Target {
		ct, ok := p.Target(name)
		if !ok {
			t.Errorf("cairn lacks target %s", name)
			continue
		}
		var tags []string
		for _, tag := range bt.Tags {
			named, err := reference.ParseNormalizedNamed(tag)
			if err != nil {
				t.Fatal(err)
			}
			tags = append(tags, reference.FamiliarString(reference.TagNameOnly(named)))
		}
		args := map[string]string{}
		for k, v := range bt.Args {
			if v != nil {
				args[k] = *v
			}
		}
		if ct.Context != bt.Context || ct.Dockerfile != filepath.Join(bt.Context, bt.Dockerfile) || ct.Stage != bt.Target ||
			!slices.Equal(ct.Tags, tags) || !slices.Equal(ct.Platforms, bt.Platforms) || len(ct.Args) != len(args) {
			t.Errorf("target %s: cairn %+v, buildx %+v", name, ct, bt)
		}
		for k, v := range args {
			if ct.Args[k] != v {
				t.Errorf("target %s: arg %s = %q, buildx %q", name, k, ct.Args[k], v)
			}
		}
	}
}

// runBuildx returns buildx's --print output, run in a clean environment
// with its config in a temporary directory.
func runBuildx(t *testing.T, buildx, dir string, args []string, env map[string]string, agent string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	home := t.TempDir()
	cmd := exec.CommandContext(ctx, buildx, append([]string{"bake", "--print"}, args...)...)
	cmd.Dir = dir
	// buildx sets up an SSH agent for ssh = ["default"] even to print:
	// it needs a socket that exists.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "DOCKER_CONFIG=" + home,
		"BUILDX_CONFIG=" + filepath.Join(home, "buildx"), "SSH_AUTH_SOCK=" + agent, "BUILDX_NO_DEFAULT_ATTESTATIONS=1"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("buildx bake --print %v: %v\n%s", args, err, stderr.Bytes())
	}
	return stdout.Bytes()
}

// sshAgentSocket is a listening unix socket nobody answers on: buildx
// only checks that SSH_AUTH_SOCK names one.
func sshAgentSocket(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "agent")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "agent.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return path
}

// publicProjects are Go modules of real projects whose docker-bake.hcl
// cairn must resolve as buildx does: the module proxy serves their
// sources, so the test reads the files as released and none is copied
// into this repository.
var publicProjects = []string{
	"github.com/docker/buildx@v0.37.2",
	"github.com/moby/buildkit@v0.33.1",
	"github.com/docker/cli@v29.7.2+incompatible",
	"github.com/docker/compose/v5@v5.6.0",
	"github.com/distribution/distribution/v3@v3.1.2",
	"github.com/docker/docker@v28.5.2+incompatible",
}

// TestPrintMatchesBuildxOnPublicProjects resolves every target and group
// of each project's bake file, one at a time, with both tools.
func TestPrintMatchesBuildxOnPublicProjects(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads modules and runs bin/buildx: not with -short")
	}
	buildx, agent := buildxBin(t), sshAgentSocket(t)
	for _, mod := range publicProjects {
		t.Run(mod, func(t *testing.T) {
			dir := moduleDir(t, mod)
			for _, v := range listBake(t, buildx, dir, "variables", agent) {
				t.Setenv(v, "") // buildx runs with none of them set
				os.Unsetenv(v)
			}
			for _, name := range listBake(t, buildx, dir, "targets", agent) {
				t.Run(name, func(t *testing.T) {
					want := runBuildx(t, buildx, dir, []string{name}, nil, agent)
					comparePrint(t, dir, bake.Options{Targets: []string{name}}, want)
				})
			}
		})
	}
}

// moduleDir downloads mod (path@version) into the module cache and
// returns its directory.
func moduleDir(t *testing.T, mod string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "go", "mod", "download", "-json", mod)
	cmd.Dir = t.TempDir() // outside any module: only mod is fetched
	out, err := cmd.Output()
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &info); jerr != nil || err != nil || info.Error != "" {
		t.Fatalf("go mod download %s: %v %s", mod, err, info.Error)
	}
	return info.Dir
}

// listBake is the names buildx's --list gives of kind (targets, groups
// among them, or variables) in dir's bake file.
func listBake(t *testing.T, buildx, dir, kind, agent string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, buildx, "bake", "--list", "type="+kind+",format=json")
	cmd.Dir = dir
	home := t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "DOCKER_CONFIG=" + home, "SSH_AUTH_SOCK=" + agent}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("buildx bake --list %s in %s: %v", kind, dir, err)
	}
	var items []struct{ Name string }
	if err := json.Unmarshal(out, &items); err != nil {
		t.Fatalf("buildx bake --list %s: %v in %s", kind, err, out)
	}
	names := make([]string, len(items))
	for i, it := range items {
		names[i] = it.Name
	}
	return names
}
