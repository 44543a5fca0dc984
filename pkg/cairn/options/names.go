package options

import (
	"strings"

	"github.com/cairn-build/cairn/pkg/config"
)

// flagNames are the flags that set the library's options, by the option's
// Go name as config.OptionError spells it: the one place that pairs them.
func flagNames() map[string]string {
	return map[string]string{
		"LoadOptions.Config":          "--config",
		"LoadOptions.SourceDateEpoch": "--source-date-epoch",
		"RunOptions.Push":             "--push",

		"Overrides.Dockerfile":         "--file",
		"Overrides.Context":            "--context",
		"Overrides.Repository":         "--repository",
		"Overrides.Args":               "--build-arg",
		"Overrides.Platforms":          "--platform",
		"Overrides.CacheMode":          "--cache-mode",
		"Overrides.CacheRef":           "--cache-ref",
		"Overrides.CacheMounts":        "--cache-mounts",
		"Overrides.Targets":            "--target",
		"Overrides.Tags":               "--tag",
		"Overrides.InsecureRegistries": "--insecure-registry",
		"Overrides.RegistryMirrors":    "--registry-mirror",
		"Overrides.RefreshBases":       "--refresh-bases",
		"Overrides.Branch":             "--branch",
		"Overrides.CacheWrite":         "--cache-write",
		"Overrides.CacheFrom":          "--cache-from",
		"Overrides.AllowRelease":       "--allow-release",

		"Overrides.Docker.Secrets":       "--secret",
		"Overrides.Docker.SSH":           "--ssh",
		"Overrides.Docker.Labels":        "--label",
		"Overrides.Docker.Annotations":   "--annotation",
		"Overrides.Docker.BuildContexts": "--build-context",
		"Overrides.Docker.AddHosts":      "--add-host",
		"Overrides.Docker.Ulimits":       "--ulimit",
		"Overrides.Docker.Network":       "--network",
		"Overrides.Docker.ShmSize":       "--shm-size",
		"Overrides.Docker.NoCache":       "--no-cache",
		"Overrides.Docker.NoCacheFilter": "--no-cache-filter",
		"Overrides.Docker.Pull":          "--pull",
		"Overrides.Docker.Outputs":       "--output",
		"Overrides.Docker.Load":          "--load",
		"Overrides.Docker.IIDFile":       "--iidfile",

		"Overrides.Attest.Provenance": "--provenance",
		"Overrides.Attest.SBOM":       "--sbom",
		"Overrides.Attest.Attest":     "--attest",
		"Overrides.SignKey":           "--sign-key",
	}
}

// Flags is err with the flags named where its message names the library's
// options: cairn.Load, Run and the others speak of config.Overrides'
// fields, which the CLI's user sets with flags. errors.Is and As see err
// as before. The CLI passes every error it prints through it.
func Flags(err error) error {
	if err == nil {
		return nil
	}
	names := flagNames()
	flag := func(option string) string {
		if f, ok := names[option]; ok {
			return f
		}
		return option
	}
	msg := err.Error()
	// Outer errors first: an OptionError's message holds those it wraps
	// as the library spells them, replaced in their turn.
	walk(err, func(e error) {
		if n, ok := e.(*config.OptionError); ok {
			msg = strings.ReplaceAll(msg, n.Error(), n.Named(flag))
		}
	})
	if msg == err.Error() {
		return err
	}
	return &flagged{msg: msg, err: err}
}

// walk visits err and every error it wraps, outer ones first.
func walk(err error, visit func(error)) {
	visit(err)
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		if inner := u.Unwrap(); inner != nil {
			walk(inner, visit)
		}
	case interface{ Unwrap() []error }:
		for _, inner := range u.Unwrap() {
			walk(inner, visit)
		}
	}
}

// flagged is an error told with the CLI's flag names.
type flagged struct {
	msg string
	err error
}

func (e *flagged) Error() string { return e.msg }
func (e *flagged) Unwrap() error { return e.err }
