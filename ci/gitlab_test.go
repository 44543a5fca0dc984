package ci

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cairn-build/cairn/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite templates/cairn/template.yml's copy of ci/gitlab/run.sh")

const template = "../templates/cairn/template.yml"

// TestGitLabTemplate: the component is a spec document then a job, whose
// script is ci/gitlab/run.sh (go test ./ci -run TestGitLabTemplate -update
// rewrites the copy), with a buildkitd service BUILDKIT_HOST names, and
// every input used.
func TestGitLabTemplate(t *testing.T) {
	data, err := os.ReadFile(template)
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile("gitlab/run.sh")
	if err != nil {
		t.Fatal(err)
	}
	spec, jobDoc, ok := strings.Cut(string(data), "\n---\n")
	if !ok {
		t.Fatal("no --- between the spec and the job")
	}
	var head struct {
		Spec struct{ Inputs map[string]any }
	}
	if err := yaml.Unmarshal([]byte(spec), &head); err != nil {
		t.Fatal(err)
	}
	var jobs map[string]struct {
		Services  []struct{ Name, Alias string }
		Variables map[string]string
		Script    []string
	}
	if err := yaml.Unmarshal([]byte(jobDoc), &jobs); err != nil {
		t.Fatal(err)
	}
	job, ok := jobs["$[[ inputs.job-name ]]"]
	if !ok || len(job.Script) != 1 {
		t.Fatalf("want one job named by the job-name input, with one script entry: %+v", jobs)
	}
	if job.Script[0] != string(script) {
		if *update {
			i := strings.Index(string(data), "  script:\n    - |\n") + len("  script:\n    - |\n")
			end := strings.Index(string(data), "  artifacts:\n")
			var b strings.Builder
			for _, line := range strings.SplitAfter(string(script), "\n") {
				if strings.TrimSpace(line) != "" {
					b.WriteString("      ")
				}
				b.WriteString(line)
			}
			if err := os.WriteFile(template, []byte(string(data)[:i]+b.String()+string(data)[end:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Error("the template's script is not ci/gitlab/run.sh: go test ./ci -run TestGitLabTemplate -update")
	}
	if len(job.Services) != 1 || job.Services[0].Alias != "buildkitd" || job.Variables["BUILDKIT_HOST"] != "tcp://buildkitd:1234" {
		t.Errorf("services %+v, BUILDKIT_HOST %q: want a buildkitd service BUILDKIT_HOST names", job.Services, job.Variables["BUILDKIT_HOST"])
	}
	for input := range head.Spec.Inputs {
		if !strings.Contains(jobDoc, "$[[ inputs."+input+" ]]") {
			t.Errorf("input %s is not used by the job", input)
		}
	}
}

// gitlabEnv is what GitLab gives a job of the component in project dir,
// the template's variables mapped as it maps them.
func gitlabEnv(dir, repo, registry string) map[string]string {
	return map[string]string{
		"GITLAB_CI":            "true",
		"CI_PROJECT_DIR":       dir,
		"CI_COMMIT_REF_NAME":   "main",
		"CI_REGISTRY":          registry,
		"CI_REGISTRY_USER":     "gitlab-ci-token",
		"CI_REGISTRY_PASSWORD": "job-token-" + fmt.Sprint(time.Now().UnixNano()),
		"CI_REGISTRY_IMAGE":    repo,
		"CAIRN_REPOSITORY":     repo,
		"CAIRN_COMMAND":        "build",
		"CAIRN_CONTEXT":        ".",
		"CAIRN_PUSH":           "true",
		"CAIRN_VERSION":        "latest",
	}
}

// TestGitLabComponent runs the component's script as GitLab runs it, in a
// branch pipeline and in a merge request's, on the test daemon and
// registry: it installs cairn from the release, logs in with the job token,
// publishes, and writes the dotenv report; a merge request's build
// publishes its own tags but writes no cache (cache.write: auto).
func TestGitLabComponent(t *testing.T) {
	bin := buildCairn(t)
	e := testenv.Get(t)
	url := release(t, bin, "v9.9.9", "")
	tests := []struct {
		name      string
		env       map[string]string
		tags      []string // published at the digest
		wantCache bool
	}{
		{"branch", map[string]string{"CI_COMMIT_REF_NAME": "main", "CAIRN_TAGS": "v1,latest"}, []string{"v1", "latest"}, true},
		// A merge request's build moves only tags of its own ({pr}: CI_MERGE_REQUEST_IID).
		{"merge request", map[string]string{"CI_COMMIT_REF_NAME": "feature/x", "CI_MERGE_REQUEST_IID": "7",
			"CI_MERGE_REQUEST_ID": "1007", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature/x", "CAIRN_TAGS": "pr-{pr}"},
			[]string{"pr-7"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := testenv.Repo(t)
			dir := project(t, fmt.Sprint(time.Now().UnixNano()))
			env := gitlabEnv(dir, repo, e.Registry)
			env["BUILDKIT_HOST"] = e.BuildkitHost
			env["CAIRN_RELEASE_URL"] = url
			env["CAIRN_ARGS"] = "--target runtime"
			env["DOCKER_CONFIG"] = t.TempDir()
			for k, v := range tt.env {
				env[k] = v
			}
			stdout, stderr, err := script(t, "dash", "gitlab/run.sh", dir, env)
			if err != nil {
				t.Fatalf("%v:\n%s", err, stderr)
			}
			if strings.Contains(stdout+stderr, env["CI_REGISTRY_PASSWORD"]) {
				t.Error("the job token is in the job's log")
			}
			config, err := os.ReadFile(filepath.Join(env["DOCKER_CONFIG"], "config.json"))
			if err != nil || !strings.Contains(string(config), `"auths":{"`+e.Registry+`":{"auth":"`) {
				t.Errorf("docker config = %q (%v), want the job token for %s", config, err, e.Registry)
			}
			if _, err := os.Stat(filepath.Join(dir, ".cairn-bin", "cairn")); err != nil {
				t.Errorf("cairn was not installed from the release: %v", err)
			}
			dotenv, err := os.ReadFile(filepath.Join(dir, "cairn.env"))
			if err != nil {
				t.Fatal(err)
			}
			digest, _, _ := strings.Cut(strings.TrimPrefix(string(dotenv), "CAIRN_DIGEST="), "\n")
			if !strings.HasPrefix(digest, "sha256:") || !strings.Contains(string(dotenv), "CAIRN_METADATA_FILE=cairn-metadata.json\n") {
				t.Errorf("cairn.env = %q", dotenv)
			}
			tags := testenv.Tags(t, repo)
			for _, tag := range tt.tags {
				if tags[tag] != digest {
					t.Errorf("tags %v, want %s at %s", tags, tag, digest)
				}
			}
			if got := tags["cache-runtime"] != ""; got != tt.wantCache {
				t.Errorf("cache written: %v, want %v (tags %v)", got, tt.wantCache, tags)
			}
		})
	}
}
