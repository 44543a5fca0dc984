package ci

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cairn-build/cairn/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// buildCairn builds cairn into a directory of its own, for PATH.
func buildCairn(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds cairn: not run with -short")
	}
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "cairn"), "../cmd/cairn")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// release serves a release of cairn as GitHub does, at URL/download/VERSION/
// and URL/latest/download/: the binary for this machine (built from bin)
// and SHA256SUMS. sums may replace the checksum file's content.
func release(t *testing.T, bin, version, sums string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(bin, "cairn"))
	if err != nil {
		t.Fatal(err)
	}
	name := "cairn-" + runtime.GOOS + "-" + runtime.GOARCH
	sum := sha256.Sum256(data)
	if sums == "" {
		sums = hex.EncodeToString(sum[:]) + "  " + name + "\n"
	}
	files := map[string][]byte{name: data, "SHA256SUMS": []byte(sums)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, prefix := range []string{"/download/" + version + "/", "/latest/download/"} {
			if f, ok := files[strings.TrimPrefix(r.URL.Path, prefix)]; ok && strings.HasPrefix(r.URL.Path, prefix) {
				_, _ = w.Write(f)
				return
			}
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// script runs a CI script with only env (and PATH, HOME, TMPDIR) as its
// environment, as a CI job's shell has only what the CI gives it.
func script(t *testing.T, shell, path, dir string, env map[string]string) (stdout, stderr string, err error) {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	cmd := exec.Command(shell, abs)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "TMPDIR=" + home, "DOCKER_CONFIG=" + filepath.Join(home, ".docker")}
	for k, v := range env {
		if k == "PATH" {
			cmd.Env[0] = "PATH=" + v + string(os.PathListSeparator) + os.Getenv("PATH")
			continue
		}
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(10 * time.Minute):
		_ = cmd.Process.Kill()
		err = <-done
	}
	return out.String(), errOut.String(), err
}

// project writes a build context: a two-stage Dockerfile whose output
// names stamp, so that each test's image is new.
func project(t *testing.T, stamp string) string {
	t.Helper()
	dir := t.TempDir()
	dockerfile := "FROM busybox:1.36 AS deps\nRUN echo " + stamp + " > /stamp\n" +
		"FROM busybox:1.36 AS runtime\nCOPY --from=deps /stamp /stamp\nCMD [\"cat\", \"/stamp\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}
