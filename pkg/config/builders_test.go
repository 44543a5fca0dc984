package config

import (
	"reflect"
	"testing"
)

func TestBuilders(t *testing.T) {
	b := resolveFile(t, "ci/build.yaml", `version: 1
builders:
  - address: tcp://amd64:1234
    name: amd64
    tls: { ca: certs/ca.pem, cert: certs/cert.pem, key: /etc/key.pem, serverName: amd64.internal }
  - address: unix:///run/buildkit/buildkitd.sock
`, Overrides{}, nil)
	want := []Builder{
		{Address: "tcp://amd64:1234", Name: "amd64", TLS: &TLS{CA: "ci/certs/ca.pem", Cert: "ci/certs/cert.pem", Key: "/etc/key.pem", ServerName: "amd64.internal"}},
		{Address: "unix:///run/buildkit/buildkitd.sock", Name: "unix:///run/buildkit/buildkitd.sock"},
	}
	if !reflect.DeepEqual(b.Builders, want) {
		t.Errorf("builders %+v\nwant %+v", b.Builders, want)
	}
}

func TestBuildersErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"no address", "builders:\n  - name: a\n", "build.yaml:3: builders[0].address: missing: want the daemon's address, e.g. tcp://builder:1234"},
		{"typo", "builders:\n  - adress: tcp://a:1\n", `build.yaml:3: builders[0].adress: unknown field (did you mean "address"?)`},
		{"twice", "builders:\n  - address: tcp://a:1\n  - address: tcp://a:1\n", `build.yaml:4: builders[1]: builder "tcp://a:1" is listed twice (first as builders[0]): give each a name`},
		{"cert without key", "builders:\n  - address: tcp://a:1\n    tls: { cert: c.pem }\n", "build.yaml:4: builders[0].tls: cert and key go together: give both or neither"},
		{"not a list", "builders: tcp://a:1\n", `build.yaml:2: builders: want a list, got "tcp://a:1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("build.yaml", []byte("version: 1\n"+tt.yaml))
			if err == nil || err.Error() != tt.want {
				t.Errorf("error %v\nwant   %s", err, tt.want)
			}
		})
	}
}
