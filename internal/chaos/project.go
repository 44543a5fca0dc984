package chaos

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// runLabel is the label every final image carries: the run that built it.
const runLabel = "cairn.chaos.run"

// dockerfile has a shared base, whose RUN reads the build secret, and three
// targets built on it. STAMP changes every stage each run; api adds a
// layer that does not compress, for a full disk to fail on.
const dockerfile = `FROM busybox:1.36 AS base
ARG STAMP=0
RUN --mount=type=secret,id=tok test -s /run/secrets/tok && echo "base $STAMP" > /base

FROM base AS api
ARG STAMP=0
RUN head -c 262144 /dev/urandom > /data && echo "api $STAMP" > /api

FROM base AS web
ARG STAMP=0
RUN echo "web $STAMP" > /web

FROM base AS worker
RUN cat /base > /worker
`

// repositories are the project's repositories under the registry: the
// caches' and each target's.
var repositories = []string{"chaos/base", "chaos/api", "chaos/web", "chaos/worker"}

// finalTags are each target's final tags, in the target's repository.
var finalTags = map[string][]string{
	"chaos/api":    {"latest", "v1"},
	"chaos/web":    {"latest"},
	"chaos/worker": {"latest", "edge"},
}

// writeProject writes the project, publishing to host, into dir.
func writeProject(dir, host string) (string, error) {
	var yaml strings.Builder
	fmt.Fprintf(&yaml, "version: 1\nrepository: %s/chaos/base\ntargets:\n", host)
	for _, target := range []string{"api", "web", "worker"} {
		var tags []string
		for _, t := range finalTags["chaos/"+target] {
			tags = append(tags, fmt.Sprintf("%s/chaos/%s:%s", host, target, t))
		}
		fmt.Fprintf(&yaml, "  %s:\n    tags: [%s]\n", target, strings.Join(tags, ", "))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for name, content := range map[string]string{"Dockerfile": dockerfile, "build.yaml": yaml.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return "", err
		}
	}
	return dir, nil
}
