package config

import "testing"

func TestSign(t *testing.T) {
	const file = "version: 1\nsign: { key: keys/cosign.key, passwordEnv: SIGN_PW, manifests: true, legacyTag: true }\n"
	tests := []struct {
		name, path, yaml, flag string
		want                   Sign
	}{
		{"none", "build.yaml", "version: 1\n", "", Sign{}},
		{"file, relative to build.yaml", "ci/build.yaml", file, "", Sign{Key: "ci/keys/cosign.key", PasswordEnv: "SIGN_PW", Manifests: true, LegacyTag: true}},
		{"absolute key", "ci/build.yaml", "version: 1\nsign: { key: /etc/cosign.key }\n", "", Sign{Key: "/etc/cosign.key"}},
		{"flag over file", "ci/build.yaml", file, "my.key", Sign{Key: "my.key", PasswordEnv: "SIGN_PW", Manifests: true, LegacyTag: true}},
		{"flag alone", "build.yaml", "version: 1\n", "my.key", Sign{Key: "my.key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resolveFile(t, tt.path, tt.yaml, Overrides{SignKey: tt.flag}, nil).Sign; got != tt.want {
				t.Errorf("Sign = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestSignErrors(t *testing.T) {
	wantFileError(t, "version: 1\nsign:\n  passwordEnv: \"not a name\"\n", Overrides{}, nil,
		`build.yaml:3: sign.passwordEnv: "not a name": want the name of an environment variable`)
	wantFileError(t, "version: 1\nsign:\n  password: x\n", Overrides{}, nil,
		`build.yaml:3: sign.password: unknown field (did you mean "passwordEnv"?)`)
}
