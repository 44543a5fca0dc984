package config

import (
	"path/filepath"
	"regexp"
)

// Sign is build.yaml's sign: how published images are signed, with a key
// cosign reads (--sign-key overrides key). The key's password is never in
// build.yaml: it is read from the variable PasswordEnv names.
type Sign struct {
	// Key is the private key file, relative to build.yaml: PEM, or
	// cosign's encrypted format (cosign generate-key-pair). None signs nothing.
	Key string `yaml:"key"`
	// PasswordEnv names the variable holding the key's password (default
	// COSIGN_PASSWORD, as cosign).
	PasswordEnv string `yaml:"passwordEnv"`
	// Manifests also signs each platform's image manifest of a target's
	// index, besides the index the tags point at.
	Manifests bool `yaml:"manifests"`
	// LegacyTag also writes cosign's legacy signature tag,
	// sha256-<hex>.sig, for verifiers that read no OCI 1.1 referrers.
	LegacyTag bool `yaml:"legacyTag"`
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// resolveSign is build.yaml's sign: with its key relative to the working
// directory, or key (--sign-key) when given.
func (b *Build) resolveSign(f *File, key string) error {
	b.Sign = f.Sign
	if b.Sign.Key != "" && !filepath.IsAbs(b.Sign.Key) {
		b.Sign.Key = filepath.Join(f.base(), b.Sign.Key)
	}
	if key != "" {
		b.Sign.Key = key
	}
	if b.Sign.PasswordEnv != "" && !envName.MatchString(b.Sign.PasswordEnv) {
		return f.errorAt("sign.passwordEnv", "%q: want the name of an environment variable", b.Sign.PasswordEnv)
	}
	return nil
}
