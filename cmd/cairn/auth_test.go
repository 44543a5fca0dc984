package main

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cairn-build/cairn/internal/faultproxy"
	"github.com/cairn-build/cairn/internal/testenv"
)

const (
	pushUser, pushPassword = "ci", "push-s3cret-9f2"
	readUser, readPassword = "reader", "read-s3cret-7c1"
)

const authProject = `FROM busybox:1.36 AS base
ARG STAMP=1
RUN echo "base $STAMP" > /base

FROM base AS app
RUN cat /base > /app
`

// authEnv is a project published to a registry that wants a login, through
// a proxy that lets readUser pull but not push.
type authEnv struct {
	dir, addr, host, repo string
}

func newAuthEnv(t *testing.T) *authEnv {
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{Logins: map[string]string{pushUser: pushPassword, readUser: readPassword}})
	proxy := faultproxy.Start(reg.Addr)
	t.Cleanup(proxy.Close)
	proxy.ReadOnly(readUser)
	return &authEnv{
		dir:  testenv.WriteDir(t, map[string]string{"Dockerfile": authProject}),
		addr: testenv.NewDaemon(t).Addr,
		host: proxy.Addr,
		repo: proxy.Addr + "/cairn/auth",
	}
}

// build publishes as user (none when ""), returning the exit code and stderr;
// it fails t when the metadata file was written but the run failed early.
func (e *authEnv) build(t *testing.T, user, password string, args ...string) (int, string, bool) {
	t.Helper()
	testenv.DockerLogin(t, e.host, user, password)
	metadata := filepath.Join(t.TempDir(), "metadata.json")
	args = append([]string{"build", "--addr", e.addr, "--repository", e.repo, "-t", "latest", "--push",
		"--progress", "plain", "--metadata-file", metadata}, args...)
	code, stdout, stderr := runCLI(t, e.dir, args...)
	_, err := os.Stat(metadata)
	return code, stdout + stderr, err == nil
}

func (e *authEnv) tags(t *testing.T) map[string]string {
	t.Helper()
	return testenv.Tags(t, e.repo, remote.WithAuth(&authn.Basic{Username: pushUser, Password: pushPassword}))
}

// TestLoginProblemsFailBeforeBuilding: no login, a wrong password and a
// login that may only pull each fail before anything is built (no report
// is written) or moved, naming the registry and what to do, and never
// printing a password.
func TestLoginProblemsFailBeforeBuilding(t *testing.T) {
	e := newAuthEnv(t)
	if code, out, _ := e.build(t, pushUser, pushPassword); code != 0 {
		t.Fatalf("publish with the push login: exit %d\n%s", code, out)
	}
	before := e.tags(t)
	if before["latest"] == "" || before["cache-app"] == "" {
		t.Fatalf("the first publish made %v", before)
	}
	tests := []struct {
		name, user, password string
		want                 []string
	}{
		{"no login", "", "", []string{"wants a login", "docker login " + e.host}},
		{"wrong password", pushUser, "not-the-password", []string{`refused the login of "ci"`, "401", "docker login " + e.host}},
		{"read-only login", readUser, readPassword, []string{`the login of "reader" may not push to ` + e.repo, "403"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, built := e.build(t, tt.user, tt.password, "--build-arg", "STAMP=2")
			t.Logf("%s", lastLines(out, 2))
			if code != 1 || built {
				t.Errorf("exit %d, report written %v: want 1 before building\n%s", code, built, out)
			}
			for _, want := range append(tt.want, e.host, "nothing published") {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			for _, secret := range []string{pushPassword, readPassword, "not-the-password"} {
				if strings.Contains(out, secret) {
					t.Errorf("output holds a password:\n%s", out)
				}
			}
			if after := e.tags(t); !maps.Equal(after, before) {
				t.Errorf("tags moved:\n before %v\n after  %v", before, after)
			}
		})
	}
}

// bigLayer writes 40 MB that do not compress: more than the small disk holds.
const bigLayer = `FROM busybox:1.36
ARG SIZE=40000000
RUN head -c "$SIZE" /dev/urandom > /big
`

// TestRegistryDiskFullPublishesNothing: a registry whose disk fills during
// the upload publishes nothing and says why; once space is freed the next
// run publishes.
func TestRegistryDiskFullPublishesNothing(t *testing.T) {
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{StorageBytes: 16 << 20})
	dir := testenv.WriteDir(t, map[string]string{"Dockerfile": bigLayer})
	repo := reg.Addr + "/cairn/full"
	build := func() (int, string) {
		args := []string{"build", "--addr", testenv.NewDaemon(t).Addr, "--repository", repo, "-t", "latest", "--push", "--progress", "plain"}
		code, stdout, stderr := runCLI(t, dir, args...)
		return code, stdout + stderr
	}
	code, out := build()
	if code != 1 || !strings.Contains(out, "nothing published") || !strings.Contains(out, "storage is full") {
		t.Fatalf("exit %d on a full disk, want 1, nothing published and the storage named:\n%s", code, out)
	}
	t.Logf("on a full disk:\n%s\nregistry:\n%s", lastLines(out, 6), lastLines(reg.Log(), 8))
	if tags := testenv.Tags(t, repo); len(tags) != 0 {
		t.Errorf("a full disk left tags: %v", tags)
	}
	reg.Resize(t, 256<<20)
	if code, out := build(); code != 0 {
		t.Fatalf("after freeing space: exit %d\n%s", code, out)
	}
	if tags := testenv.Tags(t, repo); tags["latest"] == "" {
		t.Errorf("after freeing space: tags %v, want latest", tags)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
