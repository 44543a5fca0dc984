package inputs

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/cairn-build/cairn/internal/dfparse"
	"github.com/cairn-build/cairn/pkg/config"
	"github.com/cairn-build/cairn/pkg/planner"
)

// Images are the images a build of the plan pulls, each once: every
// stage's base image, the images its COPY --from and RUN --mount from=
// read, the named contexts' docker-image:// images and the Dockerfile
// frontend the Dockerfile's syntax directive (or the BUILDKIT_SYNTAX build
// arg) names. Project.Images must give each one's digest.
func Images(cfg *config.Build, plan *planner.Plan, dockerfile []byte) []string {
	var refs []string
	add := func(ref string) {
		// A named context replaces the image FROM or --from names.
		_, named := cfg.Solve.Contexts[ref]
		if ref != "" && ref != dfparse.Scratch && !named && !slices.Contains(refs, ref) {
			refs = append(refs, ref)
		}
	}
	for _, s := range plan.Stages {
		if !s.BaseIsStage {
			add(s.Base)
		}
		for _, img := range s.Images {
			add(img)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Solve.Contexts)) {
		if ref, ok := strings.CutPrefix(cfg.Solve.Contexts[name], "docker-image://"); ok && !slices.Contains(refs, ref) {
			refs = append(refs, ref)
		}
	}
	syntax, ok := cfg.Args["BUILDKIT_SYNTAX"]
	if !ok {
		syntax, _, _, _ = parser.DetectSyntax(dockerfile)
	}
	if frontend := strings.Fields(syntax); len(frontend) > 0 {
		add(frontend[0])
	}
	return refs
}

// UnknownError is an input cairn cannot digest without the build: what a
// build fetches itself on each run, or an image whose digest is unknown.
type UnknownError struct {
	What string // "ADD https://example.com/x.tgz", "named context src"
	Why  string
}

func (e *UnknownError) Error() string {
	return fmt.Sprintf("the build's inputs are not known before it runs: %s: %s", e.What, e.Why)
}

// unknown is an *UnknownError for the first input only a build can read:
// an ADD of a URL or git repository without a checksum (BuildKit fetches
// it on every build), one whose source an ARG makes (known only once
// expanded), a named context of a URL.
func unknown(cfg *config.Build, dockerfile []byte) error {
	for _, name := range slices.Sorted(maps.Keys(cfg.Solve.Contexts)) {
		src := cfg.Solve.Contexts[name]
		if !isDirectory(src) && !strings.HasPrefix(src, "docker-image://") {
			return &UnknownError{What: "named context " + name, Why: src + " is read by the build"}
		}
	}
	df, err := dfparse.Parse("Dockerfile", dockerfile)
	if err != nil {
		return fmt.Errorf("input digest: %w", err)
	}
	for add := range df.Adds() {
		for _, src := range add.SourcePaths {
			if add.Checksum == "" && remote(src) {
				return &UnknownError{What: "ADD " + src, Why: "the build fetches it"}
			}
		}
	}
	return nil
}

// remote reports whether an ADD source may be fetched by BuildKit rather
// than read from the context: a URL, a git address, or what an ARG makes.
func remote(src string) bool {
	l := strings.ToLower(src)
	for _, prefix := range []string{"git://", "git@", "ssh://"} {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return dfparse.IsHTTPURL(src) || strings.Contains(src, "$")
}
