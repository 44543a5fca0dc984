package bake_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cairn-build/cairn/pkg/bake"
)

// load runs bake.Load in dir, which buildx resolves paths against.
func load(t *testing.T, dir string, opts bake.Options) (*bake.Project, error) {
	t.Helper()
	t.Chdir(dir)
	return bake.Load(t.Context(), opts)
}

func names(p *bake.Project) string {
	var out []string
	for _, t := range p.Targets {
		out = append(out, t.Name)
	}
	return strings.Join(out, ",")
}

// clearEnv unsets the variables the shop's bake file reads, for the test.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, name := range []string{"REPO", "VERSION", "GO_VERSION", "PUSH_LATEST", "SOURCE_DATE_EPOCH", "BUILDX_BAKE_FILE", "BUILDX_BAKE_FILE_RELATIVE_PATHS"} {
		t.Setenv(name, "") // restored after the test
		os.Unsetenv(name)
	}
}

func TestLoadShop(t *testing.T) {
	clearEnv(t)
	tests := []struct {
		name    string
		opts    bake.Options
		env     map[string]string
		targets string
		check   func(t *testing.T, p *bake.Project)
	}{
		{
			name:    "default group, override file read by the default lookup",
			targets: "api,worker",
			check: func(t *testing.T, p *bake.Project) {
				api, _ := p.Target("api")
				want := bake.Target{Name: "api", Context: "api", Dockerfile: "api/Dockerfile", Stage: "release",
					Repository: "registry.example.com/shop/api", Tags: []string{"registry.example.com/shop/api:1.1.0"}}
				if api.Context != want.Context || api.Dockerfile != want.Dockerfile || api.Stage != want.Stage ||
					api.Repository != want.Repository || !slices.Equal(api.Tags, want.Tags) {
					t.Errorf("api = %+v, want %+v", api, want)
				}
				if api.Args["GO_VERSION"] != "1.22" || api.Args["SERVICE"] != "api" || api.Args["BUILDKIT_CONTEXT_KEEP_GIT_DIR"] != "1" {
					t.Errorf("api args = %v", api.Args)
				}
				w, _ := p.Target("worker")
				if w.Dockerfile != "worker/build/Dockerfile" || w.Args["EXTRA"] != "from-override" || w.Network != "none" ||
					!slices.Equal(w.CacheFrom, []string{"registry.example.com/shop/worker:buildcache"}) ||
					!slices.Equal(w.CacheTo, []string{"type=inline"}) {
					t.Errorf("worker = %+v", w)
				}
				if len(w.Secrets) != 1 || w.Secrets[0] != (bake.Secret{ID: "token", Env: "SHOP_TOKEN"}) || len(w.SSH) != 1 || w.SSH[0].ID != "default" {
					t.Errorf("worker secrets %+v ssh %+v", w.Secrets, w.SSH)
				}
				if got := p.Groups["services"]; !slices.Equal(got, []string{"api", "worker"}) {
					t.Errorf("group services = %v", got)
				}
			},
		},
		{
			name:    "env overrides a variable; a function adds a tag",
			env:     map[string]string{"VERSION": "2.0.0", "PUSH_LATEST": "true", "REPO": "reg.test/x"},
			opts:    bake.Options{Targets: []string{"api"}},
			targets: "api",
			check: func(t *testing.T, p *bake.Project) {
				api, _ := p.Target("api")
				if want := []string{"reg.test/x/api:2.0.0", "reg.test/x/api:latest"}; !slices.Equal(api.Tags, want) {
					t.Errorf("tags = %v, want %v", api.Tags, want)
				}
			},
		},
		{
			name:    "inherits chain with platforms",
			opts:    bake.Options{Targets: []string{"api-cross"}},
			targets: "api-cross",
			check: func(t *testing.T, p *bake.Project) {
				c, _ := p.Target("api-cross")
				if !slices.Equal(c.Platforms, []string{"linux/amd64", "linux/arm64"}) || c.Stage != "release" || c.Context != "api" {
					t.Errorf("api-cross = %+v", c)
				}
			},
		},
		{
			name:    "group of groups, matrix, inline Dockerfile, linked target",
			opts:    bake.Options{Targets: []string{"all"}},
			targets: "api,bin-darwin-amd64,bin-darwin-arm64,bin-linux-amd64,bin-linux-arm64,docs,inline,worker",
			check: func(t *testing.T, p *bake.Project) {
				b, _ := p.Target("bin-darwin-arm64")
				if b.Args["GOOS"] != "darwin" || !slices.Equal(b.Platforms, []string{"darwin/arm64"}) ||
					!slices.Equal(b.Outputs, []string{"type=local,dest=out/darwin-arm64"}) {
					t.Errorf("bin-darwin-arm64 = %+v", b)
				}
				in, _ := p.Target("inline")
				if !strings.HasPrefix(in.DockerfileInline, "FROM busybox:1.36\n") || in.Repository != "shop-inline" ||
					!slices.Equal(in.Tags, []string{"shop-inline:latest"}) {
					t.Errorf("inline = %+v", in)
				}
				d, _ := p.Target("docs")
				if d.Contexts["api"] != "target:api" || d.Context != "." || d.Dockerfile != "docs.Dockerfile" {
					t.Errorf("docs = %+v", d)
				}
			},
		},
		{
			name:    "--set on a pattern and on one target",
			opts:    bake.Options{Set: []string{"*.platform=linux/arm64", "api.args.SERVICE=shop-api", "worker.tags=reg.test/w:1"}},
			targets: "api,worker",
			check: func(t *testing.T, p *bake.Project) {
				api, _ := p.Target("api")
				w, _ := p.Target("worker")
				if api.Args["SERVICE"] != "shop-api" || !slices.Equal(api.Platforms, []string{"linux/arm64"}) ||
					!slices.Equal(w.Tags, []string{"reg.test/w:1"}) || w.Repository != "reg.test/w" {
					t.Errorf("api %+v worker %+v", api, w)
				}
			},
		},
		{
			name:    "pattern",
			opts:    bake.Options{Targets: []string{"bin-linux-*"}},
			targets: "bin-linux-amd64,bin-linux-arm64",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			p, err := load(t, "testdata/shop", tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(p); got != tt.targets {
				t.Errorf("targets = %s, want %s", got, tt.targets)
			}
			if tt.check != nil {
				tt.check(t, p)
			}
		})
	}
}

func TestLoadCompose(t *testing.T) {
	p, err := load(t, "testdata/compose", bake.Options{Files: []string{"compose.yaml", "compose.override.yaml"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(p); got != "web,worker" {
		t.Fatalf("targets = %s", got)
	}
	web, _ := p.Target("web")
	if web.Stage != "serve" || web.Args["NODE_ENV"] != "production" || !slices.Equal(web.Tags, []string{"reg.test/compose/web:dev"}) {
		t.Errorf("web = %+v", web)
	}
	w, _ := p.Target("worker")
	if filepath.Base(w.Dockerfile) != "worker.Dockerfile" || !slices.Equal(w.Platforms, []string{"linux/amd64", "linux/arm64"}) {
		t.Errorf("worker = %+v", w)
	}
}

func TestLoadErrors(t *testing.T) {
	clearEnv(t)
	bad := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(bad, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("syntax.hcl", "target \"a\" {\n  context = \n}\n")
	write("nocontext.hcl", "target \"gone\" {\n  context = \"missing-dir\"\n}\n")
	write("file-context.hcl", "target \"f\" {\n  context = \"syntax.hcl\"\n}\n")
	write("named.hcl", "target \"n\" {\n  contexts = { x = \"./nope\", y = \"docker-image://busybox\" }\n}\n")
	write("cycle.hcl", "target \"a\" {\n  inherits = [\"b\"]\n}\ntarget \"b\" {\n  inherits = [\"a\"]\n}\n")
	tests := []struct {
		name string
		dir  string
		opts bake.Options
		as   any
		msg  string
	}{
		{"unknown target", "testdata/shop", bake.Options{Targets: []string{"apii"}}, new(*bake.UnknownTargetError), `unknown target or group "apii" in docker-bake.hcl, docker-bake.override.hcl (did you mean "api"?)`},
		{"no default", bad, bake.Options{Files: []string{"nocontext.hcl"}}, new(*bake.UnknownTargetError), "nocontext.hcl has no target or group named default: name one of gone"},
		{"no file", t.TempDir(), bake.Options{}, new(*bake.NotFoundError), "no bake definition found"},
		{"missing -f file", bad, bake.Options{Files: []string{"nope.hcl"}}, new(*bake.FileError), "nope.hcl"},
		{"HCL syntax, buildx's message", bad, bake.Options{Files: []string{"syntax.hcl"}, Targets: []string{"a"}}, new(*bake.FileError), "syntax.hcl:2,13-3,1: Invalid expression; Expected the start of an expression, but found an invalid expression token."},
		{"context does not exist", bad, bake.Options{Files: []string{"nocontext.hcl"}, Targets: []string{"gone"}}, new(*bake.ContextError), "target gone: build context missing-dir: stat missing-dir: no such file or directory"},
		{"context is a file", bad, bake.Options{Files: []string{"file-context.hcl"}, Targets: []string{"f"}}, new(*bake.ContextError), "target f: build context syntax.hcl: not a directory"},
		{"named context does not exist", bad, bake.Options{Files: []string{"named.hcl"}, Targets: []string{"n"}}, new(*bake.ContextError), "target n: build context nope"},
		{"bad --set", "testdata/shop", bake.Options{Set: []string{"api.nosuchfield=1"}}, new(*bake.FileError), "nosuchfield"},
		{"inherits cycle", bad, bake.Options{Files: []string{"cycle.hcl"}, Targets: []string{"a"}}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := load(t, tt.dir, tt.opts)
			if _, ok := tt.as.(**bake.ContextError); ok && err == nil {
				// Contexts are checked before a build, not to print.
				_, err = p.Builds()
			}
			if tt.as == nil {
				// buildx resolves an inherits cycle by ignoring the back edge.
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.As(err, tt.as) {
				t.Errorf("error %T %v, want %T", err, err, tt.as)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
		})
	}
}
