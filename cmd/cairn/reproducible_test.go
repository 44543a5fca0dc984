package main

import (
	"testing"
	"time"

	"github.com/cairn-build/cairn/internal/testenv"
)

// threeStages copies between stages, so a middle stage's image holds
// history from another stage's cache record: the case where image times
// came from whichever imported record matched.
const threeStages = `FROM busybox:1.36 AS base
RUN echo base > /base

FROM busybox:1.36 AS middle
COPY --from=base /base /base
COPY input.txt /input.txt
RUN cat /base /input.txt > /middle

FROM base AS final
COPY --from=middle /middle /middle
RUN cat /middle > /final
`

// TestRepublishOutsideACheckoutMovesNoTag: a context that is no git
// checkout (a source tarball, as serverless builders get) with no epoch
// given gets the defaulted epoch, 0, in its images' times, and published
// then republished unchanged from a fresh daemon moves no tag. Without an
// epoch the times are the build's own, and which imported cache record
// BuildKit takes them from decides the digest.
func TestRepublishOutsideACheckoutMovesNoTag(t *testing.T) {
	for _, mode := range []string{"inline", "max"} {
		t.Run(mode, func(t *testing.T) {
			dir := testenv.WriteDir(t, map[string]string{"Dockerfile": threeStages, "input.txt": "hello\n"})
			repo := testenv.Repo(t)
			build := func() {
				t.Helper()
				// --no-skip: the republish must build, not skip the unchanged inputs.
				args := []string{"build", "--addr", testenv.NewDaemon(t).Addr, "--repository", repo,
					"--target", "final", "-t", "latest", "--cache-mode", mode, "--push", "--progress", "quiet", "--no-skip"}
				if code, stdout, stderr := runCLI(t, dir, args...); code != 0 {
					t.Fatalf("exit %d:\n%s\n%s", code, stdout, stderr)
				}
			}
			t.Setenv("SOURCE_DATE_EPOCH", "")
			build()
			before := testenv.Tags(t, repo)
			for _, tag := range []string{"cache-base", "cache-middle", "cache-final", "latest"} {
				if before[tag] == "" {
					t.Fatalf("the first publish made no %s: %v", tag, before)
				}
			}
			cfg, err := testenv.Image(t, repo+":latest").ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if !cfg.Created.Equal(time.Unix(0, 0)) {
				t.Errorf("image created %s, want the defaulted epoch, 1970-01-01", cfg.Created.UTC())
			}
			build()
			after := testenv.Tags(t, repo)
			for tag, digest := range before {
				if after[tag] != digest {
					t.Errorf("%s moved: %s → %s", tag, digest, after[tag])
				}
			}
		})
	}
}
