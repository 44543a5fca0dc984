package lint

import (
	"path"
	"slices"
)

// checkDockerignore flags a build context without a .dockerignore
// (CAIRN006): everything in it, .git and local secrets included, is sent
// to BuildKit and one careless COPY away from the image. BuildKit also
// reads <Dockerfile name>.dockerignore, so that counts too.
func checkDockerignore(_ *dockerfile, opts *Options) []Finding {
	if opts.ContextFiles == nil {
		return nil
	}
	if slices.Contains(opts.ContextFiles, ".dockerignore") ||
		slices.Contains(opts.ContextFiles, path.Base(opts.Filename)+".dockerignore") {
		return nil
	}
	return []Finding{finding(ruleDockerignore, 0, "the build context has no .dockerignore: add one so .git, build output and local secrets stay out of the build")}
}
