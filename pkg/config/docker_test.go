package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const withDocker = `version: 1
labels: { org.example.team: infra, org.example.keep: "yes" }
annotations: { org.opencontainers.image.source: "https://example.com/src", "index:org.example.idx": "i" }
network: none
addHosts: { db.internal: 10.0.0.5 }
shmSize: 64m
ulimits: { nofile: "1024:2048", nproc: 512 }
buildContexts: { extra: ./extra, base: "docker-image://busybox:1.36" }
secrets:
  - { id: token, env: CI_TOKEN }
  - { id: npmrc, src: .npmrc }
ssh:
  - { id: default }
  - { id: deploy, paths: [keys/deploy] }
`

func TestDockerFromFileAndFlags(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"extra", "other"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	f, err := Parse(filepath.Join(dir, "build.yaml"), []byte(withDocker))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("file only", func(t *testing.T) {
		b, err := f.Resolve(Overrides{}, env(nil))
		if err != nil {
			t.Fatal(err)
		}
		want := Solve{
			Labels: map[string]string{"org.example.team": "infra", "org.example.keep": "yes"},
			Annotations: map[string]string{
				"annotation.org.opencontainers.image.source": "https://example.com/src",
				"annotation-index.org.example.idx":           "i",
			},
			SolveOptions: SolveOptions{
				Network:  "none",
				AddHosts: []string{"db.internal=10.0.0.5"},
				ShmSize:  64 << 20,
				Ulimits:  []string{"nofile=1024:2048", "nproc=512:512"},
				Contexts: map[string]string{"extra": filepath.Join(dir, "extra"), "base": "docker-image://busybox:1.36"},
			},
			Secrets: []Secret{{ID: "token", Env: "CI_TOKEN"}, {ID: "npmrc", Src: filepath.Join(dir, ".npmrc")}},
			SSH:     []SSH{{ID: "default"}, {ID: "deploy", Paths: []string{filepath.Join(dir, "keys/deploy")}}},
		}
		if !reflect.DeepEqual(b.Solve, want) {
			t.Errorf("Solve =\n%#v\nwant\n%#v", b.Solve, want)
		}
	})
	t.Run("flags add and override", func(t *testing.T) {
		other := filepath.Join(dir, "other")
		b, err := f.Resolve(Overrides{Docker: DockerFlags{
			Labels:        []string{"org.example.team=web", "org.example.new=a,b"},
			Annotations:   []string{"manifest,index:org.example.both=x"},
			Network:       "default",
			AddHosts:      []string{"cache.internal:10.0.0.6", "v6.internal=[::1]"},
			ShmSize:       "1g",
			Ulimits:       []string{"nofile=4096"},
			BuildContexts: []string{"extra=" + other},
			Secrets:       []string{"id=token,src=/run/token", "id=aws,env=AWS_KEY"},
			SSH:           []string{"deploy2=/tmp/a.sock,/tmp/key"},
			NoCache:       true,
			NoCacheFilter: []string{"deps,builder"},
			Pull:          true,
			Load:          true,
		}}, env(nil))
		if err != nil {
			t.Fatal(err)
		}
		s := b.Solve
		checks := []struct {
			name      string
			got, want any
		}{
			{"labels", s.Labels, map[string]string{"org.example.team": "web", "org.example.keep": "yes", "org.example.new": "a,b"}},
			{"annotation on both", []string{s.Annotations["annotation-manifest.org.example.both"], s.Annotations["annotation-index.org.example.both"]}, []string{"x", "x"}},
			{"network default", s.Network, ""},
			{"hosts", s.AddHosts, []string{"db.internal=10.0.0.5", "cache.internal=10.0.0.6", "v6.internal=::1"}},
			{"shm", s.ShmSize, int64(1 << 30)},
			{"ulimits", s.Ulimits, []string{"nofile=4096:4096", "nproc=512:512"}},
			{"contexts", s.Contexts["extra"], other},
			{"secrets", s.Secrets, []Secret{{ID: "npmrc", Src: filepath.Join(dir, ".npmrc")}, {ID: "token", Src: "/run/token"}, {ID: "aws", Env: "AWS_KEY"}}},
			{"ssh", s.SSH[2], SSH{ID: "deploy2", Paths: []string{"/tmp/a.sock", "/tmp/key"}}},
			{"no cache", []any{s.NoCache, s.NoCacheFilter, s.Pull, s.Load}, []any{true, []string{"deps", "builder"}, true, true}},
		}
		for _, c := range checks {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
			}
		}
	})
}

func TestParseSecret(t *testing.T) {
	tests := []struct {
		in      string
		want    Secret
		wantErr string
	}{
		{in: "id=token,env=TOKEN", want: Secret{ID: "token", Env: "TOKEN"}},
		{in: "id=npmrc,src=/home/u/.npmrc", want: Secret{ID: "npmrc", Src: "/home/u/.npmrc"}},
		{in: "id=npmrc,source=a b", want: Secret{ID: "npmrc", Src: "a b"}},
		{in: "type=env,id=t,src=TOKEN", want: Secret{ID: "t", Env: "TOKEN"}},
		{in: `id=x,"src=a,b"`, want: Secret{ID: "x", Src: "a,b"}},
		{in: "id=plain", want: Secret{ID: "plain"}},
		{in: "id=x,value=hunter2", wantErr: `unknown key "value"`},
		{in: "token", wantErr: `"token": want KEY=VALUE`},
		{in: "id=x,type=vault", wantErr: `secret type "vault"`},
	}
	for _, tt := range tests {
		got, err := parseSecret(tt.in)
		if !matches(err, tt.wantErr) || (tt.wantErr == "" && got != tt.want) {
			t.Errorf("parseSecret(%q) = %+v, %v; want %+v, error %q", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseOutput(t *testing.T) {
	tests := []struct {
		in      string
		want    Output
		wantErr string
	}{
		{in: "type=oci,dest=out.tar", want: Output{Type: "oci", Dest: "out.tar", Attrs: map[string]string{}}},
		{in: "type=docker,dest=img.tar,name=app:dev", want: Output{Type: "docker", Dest: "img.tar", Attrs: map[string]string{"name": "app:dev"}}},
		{in: "type=oci,dest=layout,tar=false", want: Output{Type: "oci", Dest: "layout", Attrs: map[string]string{"tar": "false"}}},
		{in: "type=local,dest=out", want: Output{Type: "local", Dest: "out", Attrs: map[string]string{}}},
		{in: "./out", want: Output{Type: "local", Dest: "./out", Attrs: map[string]string{}}},
		{in: "type=tar,dest=fs.tar", want: Output{Type: "tar", Dest: "fs.tar", Attrs: map[string]string{}}},
		{in: "-", wantErr: "stdout is not supported"},
		{in: "type=docker,dest=d,tar=false", wantErr: "use type=oci,tar=false"},
		{in: "type=oci", wantErr: "want dest=PATH"},
		{in: "type=image,name=x", wantErr: "pushes it when it publishes"},
		{in: "type=cacheonly,dest=x", wantErr: `type "cacheonly": want one of oci, docker, tar, local`},
		{in: "type=oci,dest", wantErr: `"dest": want KEY=VALUE`},
	}
	for _, tt := range tests {
		got, err := parseOutput(tt.in)
		if !matches(err, tt.wantErr) || (tt.wantErr == "" && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("parseOutput(%q) = %+v, %v; want %+v, error %q", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseHostAndContext(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		got     func() (any, error)
		want    any
		wantErr string
	}{
		{"host colon", func() (any, error) { return parseHost("db:10.0.0.1") }, []string{"db=10.0.0.1"}, ""},
		{"host several ips", func() (any, error) { return parseHost("db=10.0.0.1,[fe80::1]") }, []string{"db=10.0.0.1", "db=fe80::1"}, ""},
		{"host-gateway is docker's", func() (any, error) { return parseHost("h:host-gateway") }, nil, `"host-gateway" is not an IP address`},
		{"host without ip", func() (any, error) { return parseHost("db") }, nil, "want HOST:IP"},
		{"context image", func() (any, error) { return parseContext("base", "docker-image://busybox:1.36", "") }, "docker-image://busybox:1.36", ""},
		{"context bad image", func() (any, error) { return parseContext("base", "docker-image://UP:x:y", "") }, nil, "docker-image://UP:x:y"},
		{"context git", func() (any, error) { return parseContext("src", "https://github.com/o/r.git#main", "") }, "https://github.com/o/r.git#main", ""},
		{"context dir", func() (any, error) { return parseContext("x", ".", dir) }, dir, ""},
		{"context missing dir", func() (any, error) { return parseContext("x", "nope", dir) }, nil, "no such file or directory"},
		{"context other scheme", func() (any, error) { return parseContext("x", "oci-layout://a", "") }, nil, "want a directory, docker-image://REF"},
		{"context bad name", func() (any, error) { return parseContext("a b", ".", dir) }, nil, `"a b" is not a context name`},
		{"network", func() (any, error) { return parseNetwork("bridge") }, nil, `unknown network "bridge": want default, none or host`},
		{"size", func() (any, error) { return parseShmSize("2k") }, int64(2048), ""},
		{"bad size", func() (any, error) { return parseShmSize("lots") }, nil, "invalid size"},
	}
	for _, tt := range tests {
		got, err := tt.got()
		if !matches(err, tt.wantErr) || (tt.wantErr == "" && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("%s: got %#v, %v; want %#v, error %q", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestDockerErrors(t *testing.T) {
	testResolveErrors(t, []resolveCase{
		{name: "file network", yaml: "network: bridge\n", want: `build.yaml:2: network: unknown network "bridge"`},
		{name: "file host", yaml: "addHosts:\n  db: nowhere\n", want: `build.yaml:3: addHosts.db: "db=nowhere": "nowhere" is not an IP address`},
		{name: "file ulimit", yaml: "ulimits:\n  nofile: 2048:1024\n", want: "build.yaml:3: ulimits.nofile: ulimit soft limit must be less than or equal to hard limit"},
		{name: "file shm", yaml: "shmSize: big\n", want: "build.yaml:2: shmSize: invalid size"},
		{name: "file context", yaml: "buildContexts:\n  extra: ./missing\n", want: "build.yaml:3: buildContexts.extra: stat "},
		{name: "file annotation", yaml: "annotations: { \"blob:k\": v }\n", want: `build.yaml:2: annotations.blob:k: unknown annotation type "blob"`},
		{name: "file secret without id", yaml: "secrets:\n  - { env: TOKEN }\n", want: "build.yaml:3: secrets[0]: missing id"},
		{name: "file secret with both", yaml: "secrets:\n  - { id: t, env: T, src: f }\n", want: "build.yaml:3: secrets[0]: secret t: give src or env, not both"},
		{name: "file secret value", yaml: "secrets:\n  - { id: t, value: hunter2 }\n", want: `build.yaml:3: secrets[0].value: unknown field`},
		{name: "file ssh twice", yaml: "ssh:\n  - { id: a }\n  - { id: a }\n", want: `build.yaml:4: ssh[1]: ssh id "a" given twice`},
		{name: "label flag", o: Overrides{Docker: DockerFlags{Labels: []string{"=x"}}}, want: `Overrides.Docker.Labels "=x": want KEY=VALUE`},
		{name: "annotation flag", o: Overrides{Docker: DockerFlags{Annotations: []string{"novalue"}}}, want: `Overrides.Docker.Annotations "novalue": want [TYPE:]KEY=VALUE`},
		{name: "annotation platform", o: Overrides{Docker: DockerFlags{Annotations: []string{"manifest[nope/x/y/z]:k=v"}}}, want: `Overrides.Docker.Annotations "manifest[nope/x/y/z]:k=v": annotation platform`},
		{name: "network flag", o: Overrides{Docker: DockerFlags{Network: "bridge"}}, want: "Overrides.Docker.Network: unknown network"},
		{name: "add-host flag", o: Overrides{Docker: DockerFlags{AddHosts: []string{"db"}}}, want: `Overrides.Docker.AddHosts: "db": want HOST:IP`},
		{name: "ulimit flag", o: Overrides{Docker: DockerFlags{Ulimits: []string{"nofile"}}}, want: `Overrides.Docker.Ulimits "nofile": invalid ulimit argument`},
		{name: "shm flag", o: Overrides{Docker: DockerFlags{ShmSize: "-1"}}, want: "Overrides.Docker.ShmSize:"},
		{name: "context flag", o: Overrides{Docker: DockerFlags{BuildContexts: []string{"extra"}}}, want: `Overrides.Docker.BuildContexts "extra": want NAME=PATH or NAME=docker-image://REF`},
		{name: "secret flag", o: Overrides{Docker: DockerFlags{Secrets: []string{"src=/x"}}}, want: `Overrides.Docker.Secrets "src=/x": missing id`},
		{name: "ssh flag", o: Overrides{Docker: DockerFlags{SSH: []string{"=/sock"}}}, want: `Overrides.Docker.SSH "=/sock": want default or ID[=PATH[,PATH…]]`},
		{name: "ssh twice", o: Overrides{Docker: DockerFlags{SSH: []string{"default", "default=/x"}}}, want: `Overrides.Docker.SSH: ssh id "default" given twice`},
		{name: "no-cache-filter", o: Overrides{Docker: DockerFlags{NoCacheFilter: []string{"a,"}}}, want: "Overrides.Docker.NoCacheFilter: empty stage name"},
		{name: "output flag", o: Overrides{Docker: DockerFlags{Outputs: []string{"type=registry"}}}, want: `Overrides.Docker.Outputs "type=registry": type=registry: cairn builds`},
		{name: "output template", o: Overrides{Docker: DockerFlags{Outputs: []string{"type=oci,dest={stage}.tar"}}}, want: `Overrides.Docker.Outputs "type=oci,dest={stage}.tar": dest unknown variable {stage}`},
	})
}

func TestLocalOutputsPerTarget(t *testing.T) {
	tests := []struct {
		name    string
		targets []string
		o       DockerFlags
		want    map[string][]string // target → output dests, then the iidfile
		wantErr string
	}{
		{
			name: "default target, plain file", o: DockerFlags{Outputs: []string{"type=oci,dest=x.tar"}, IIDFile: "iid"},
			want: map[string][]string{"": {"x.tar", "iid"}},
		},
		{
			name: "one target", targets: []string{"app"}, o: DockerFlags{Outputs: []string{"type=oci,dest=out/{target}.tar", "type=local,dest=fs"}},
			want: map[string][]string{"app": {"out/app.tar", "fs", ""}},
		},
		{
			name: "several targets, each its file", targets: []string{"app", "worker"}, o: DockerFlags{Outputs: []string{"type=docker,dest={target}.tar"}, IIDFile: "{target}.iid"},
			want: map[string][]string{"app": {"app.tar", "app.iid"}, "worker": {"worker.tar", "worker.iid"}},
		},
		{
			name: "several targets, one file", targets: []string{"app", "worker"}, o: DockerFlags{Outputs: []string{"type=oci,dest=x.tar"}},
			wantErr: `Overrides.Docker.Outputs "type=oci,dest=x.tar": dest "x.tar" must contain {target}: 2 targets are built and each needs its own file`,
		},
		{
			name: "several targets, one iidfile", targets: []string{"app", "worker"}, o: DockerFlags{IIDFile: "iid"},
			wantErr: `Overrides.Docker.IIDFile: "iid" must contain {target}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Default().Resolve(Overrides{Targets: tt.targets, Docker: tt.o}, env(nil))
			if !matches(err, tt.wantErr) {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			for target, want := range tt.want {
				var got []string
				for _, o := range b.Outputs(target) {
					got = append(got, o.Dest)
				}
				if got = append(got, b.IIDFile(target)); !reflect.DeepEqual(got, want) {
					t.Errorf("target %q: files %q, want %q", target, got, want)
				}
			}
		})
	}
}

func TestPlatformsFlagIsAList(t *testing.T) {
	b, err := Default().Resolve(Overrides{Platforms: []string{"linux/amd64,linux/arm64"}, Targets: []string{"a,b"}}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(b.Platforms, " "); got != "linux/amd64 linux/arm64" {
		t.Errorf("platforms %q", got)
	}
	if len(b.Targets) != 2 {
		t.Errorf("targets %v, want a and b", b.Targets)
	}
}

// matches reports whether err is nil when want is "", else contains want.
func matches(err error, want string) bool {
	if want == "" {
		return err == nil
	}
	return err != nil && strings.Contains(err.Error(), want)
}
