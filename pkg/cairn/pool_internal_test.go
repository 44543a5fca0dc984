package cairn

import (
	"slices"
	"testing"

	"github.com/cairn-build/cairn/pkg/config"
)

// TestDaemons: --addr beats build.yaml's builders, which beat
// $BUILDKIT_HOST, which beats the default socket.
func TestDaemons(t *testing.T) {
	builders := []config.Builder{{Address: "tcp://a:1", Name: "a", TLS: &config.TLS{CA: "ca.pem", ServerName: "a.internal"}}, {Address: "tcp://b:1", Name: "tcp://b:1"}}
	tls := DaemonOptions{CACert: "flag-ca.pem"}
	tests := []struct {
		name     string
		addrs    []string
		builders []config.Builder
		env      map[string]string
		want     []DaemonOptions
	}{
		{"flags", []string{"tcp://x:1", "tcp://y:1"}, builders, map[string]string{"BUILDKIT_HOST": "tcp://env:1"},
			[]DaemonOptions{{Addr: "tcp://x:1", CACert: "flag-ca.pem"}, {Addr: "tcp://y:1", CACert: "flag-ca.pem"}}},
		{"build.yaml", nil, builders, map[string]string{"BUILDKIT_HOST": "tcp://env:1"},
			[]DaemonOptions{{Addr: "tcp://a:1", Name: "a", CACert: "ca.pem", ServerName: "a.internal"}, {Addr: "tcp://b:1", Name: "tcp://b:1"}}},
		{"environment", nil, nil, map[string]string{"BUILDKIT_HOST": "tcp://env:1"}, []DaemonOptions{{Addr: "tcp://env:1"}}},
		{"default", nil, nil, nil, []DaemonOptions{{Addr: DefaultAddr}}},
	}
	for _, tt := range tests {
		p := &Project{Config: &config.Build{Builders: tt.builders}, env: func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }}
		if got := p.Daemons(tt.addrs, tls); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %+v\nwant %+v", tt.name, got, tt.want)
		}
	}
}
