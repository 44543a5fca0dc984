package cairn

import (
	"os"

	"github.com/cairn-build/cairn/pkg/config"
)

// Flags reads cairn's command-line flags by name, as urfave/cli's Context
// does; IsSet tells a flag that was given from one left at its default.
type Flags interface {
	config.FlagValues
	IsSet(name string) bool
}

// LoadOptionsFromFlags are the LoadOptions that the flags of `cairn plan`,
// `build` and `check` give (--config, -f, --context, --build-arg,
// --repository, -t, --target, --platform, --cache-*, --branch, --insecure-registry,
// docker build's flags, --source-date-epoch, --refresh-bases), path being
// the PATH argument ("" for none). Reading them here keeps the CLI to
// declaring flags, as ko's options do.
func LoadOptionsFromFlags(f Flags, path string) (LoadOptions, error) {
	args, err := ParseBuildArgs(f.StringSlice("build-arg"), os.LookupEnv)
	if err != nil {
		return LoadOptions{}, &UsageError{Err: err}
	}
	var refresh *bool
	if f.IsSet("refresh-bases") {
		v := f.Bool("refresh-bases")
		refresh = &v
	}
	return LoadOptions{
		Path:            path,
		Config:          f.String("config"),
		SourceDateEpoch: f.String("source-date-epoch"),
		Overrides: config.Overrides{
			Dockerfile:         f.String("file"),
			Context:            f.String("context"),
			Repository:         f.String("repository"),
			Args:               args,
			Platforms:          f.StringSlice("platform"),
			CacheMode:          f.String("cache-mode"),
			CacheRef:           f.String("cache-ref"),
			CacheWrite:         f.String("cache-write"),
			Branch:             f.String("branch"),
			Targets:            f.StringSlice("target"),
			Tags:               f.StringSlice("tag"),
			InsecureRegistries: f.StringSlice("insecure-registry"),
			Docker:             config.ReadDockerFlags(f),
			RefreshBases:       refresh,
		},
	}, nil
}
