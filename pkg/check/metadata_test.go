package check

import (
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

func testConfig() v1.Config {
	return v1.Config{
		Env:          []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8", "LANG=en_US.UTF-8"},
		Labels:       map[string]string{"org.opencontainers.image.version": "1.2.3"},
		ExposedPorts: map[string]struct{}{"8080/tcp": {}, "53/udp": {}},
		Volumes:      map[string]struct{}{"/data": {}},
		Entrypoint:   []string{"/app", "--serve"},
		WorkingDir:   "/srv",
		User:         "app",
	}
}

func TestMetadataChecks(t *testing.T) {
	tests := []struct {
		name   string
		check  MetadataCheck
		result string // the Result's name
		pass   bool
		msg    string
	}{
		{"env matches", MetadataCheck{Env: map[string]string{"PATH": `(^|:)/bin($|:)`}}, "env PATH", true, `"/usr/bin:/bin"`},
		{"env differs", MetadataCheck{Env: map[string]string{"PATH": `^/opt`}}, "env PATH", false, `want a match of "^/opt"`},
		{"env last wins", MetadataCheck{Env: map[string]string{"LANG": `^en_US`}}, "env LANG", true, ""},
		{"env unset", MetadataCheck{Env: map[string]string{"HOME": `.`}}, "env HOME", false, "env HOME is not set"},
		{"label matches", MetadataCheck{Labels: map[string]string{"org.opencontainers.image.version": `^1\.`}}, "label org.opencontainers.image.version", true, ""},
		{"label differs", MetadataCheck{Labels: map[string]string{"org.opencontainers.image.version": `^2\.`}}, "label org.opencontainers.image.version", false, `is "1.2.3"`},
		{"label unset", MetadataCheck{Labels: map[string]string{"maintainer": `.`}}, "label maintainer", false, "not set"},
		{"port, tcp by default", MetadataCheck{ExposedPorts: []string{"8080"}}, "exposedPort 8080", true, "8080/tcp is exposed"},
		{"port with protocol", MetadataCheck{ExposedPorts: []string{"53/udp"}}, "exposedPort 53/udp", true, ""},
		{"port not exposed", MetadataCheck{ExposedPorts: []string{"53"}}, "exposedPort 53", false, "53/tcp is not exposed"},
		{"unexposed port", MetadataCheck{UnexposedPorts: []string{"22"}}, "unexposedPort 22", true, "22/tcp is not exposed"},
		{"unexposed port exposed", MetadataCheck{UnexposedPorts: []string{"8080/tcp"}}, "unexposedPort 8080/tcp", false, "8080/tcp is exposed"},
		{"volume", MetadataCheck{Volumes: []string{"/data/"}}, "volume /data/", true, ""},
		{"volume missing", MetadataCheck{Volumes: []string{"/cache"}}, "volume /cache", false, "/cache is not a volume"},
		{"unmounted volume", MetadataCheck{UnmountedVolumes: []string{"/cache"}}, "unmountedVolume /cache", true, ""},
		{"unmounted volume mounted", MetadataCheck{UnmountedVolumes: []string{"/data"}}, "unmountedVolume /data", false, "/data is a volume"},
		{"entrypoint", MetadataCheck{Entrypoint: []string{"/app", "--serve"}}, "entrypoint", true, ""},
		{"entrypoint differs", MetadataCheck{Entrypoint: []string{"/app"}}, "entrypoint", false, `entrypoint ["/app", "--serve"], want ["/app"]`},
		{"cmd must be empty", MetadataCheck{Cmd: []string{}}, "cmd", true, ""},
		{"cmd differs", MetadataCheck{Cmd: []string{"sh"}}, "cmd", false, `cmd [] (unset), want ["sh"]`},
		{"workdir", MetadataCheck{Workdir: "/srv"}, "workdir", true, ""},
		{"workdir differs", MetadataCheck{Workdir: "/"}, "workdir", false, `workdir "/srv", want "/"`},
		{"user", MetadataCheck{User: "app"}, "user", true, ""},
		{"user differs", MetadataCheck{User: "1000"}, "user", false, `user "app", want "1000"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			results := checkMetadata(testConfig(), tt.check)
			if len(results) != 1 {
				t.Fatalf("got %d results, want 1: %+v", len(results), results)
			}
			r := results[0]
			if r.Name != tt.result || r.Passed != tt.pass || !strings.Contains(r.Message, tt.msg) {
				t.Errorf("got %+v; want %s passed %v, message containing %q", r, tt.result, tt.pass, tt.msg)
			}
		})
	}
}

func TestNotRoot(t *testing.T) {
	tests := []struct {
		user string
		pass bool
	}{
		{"", false}, {"root", false}, {"0", false}, {"0:0", false}, {"root:app", false},
		{"app", true}, {"1000:1000", true}, {"1000:0", true},
	}
	for _, tt := range tests {
		results := checkMetadata(v1.Config{User: tt.user}, MetadataCheck{NotRoot: true})
		if results[0].Passed != tt.pass {
			t.Errorf("user %q: %+v, want passed %v", tt.user, results[0], tt.pass)
		}
	}
}

// Through Image, results come in a stable order whatever the maps hold.
func TestImageMetadata(t *testing.T) {
	img, err := mutate.Config(empty.Image, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	spec := Spec{Metadata: &MetadataCheck{
		Env:     map[string]string{"PATH": ".", "LANG": "."},
		Labels:  map[string]string{"b": ".", "a": "."},
		User:    "app",
		NotRoot: true,
	}}
	results, _, err := Image(img, spec)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range results {
		names = append(names, r.Name)
	}
	want := "env LANG,env PATH,label a,label b,user,notRoot"
	if got := strings.Join(names, ","); got != want {
		t.Errorf("results %s, want %s", got, want)
	}
}
