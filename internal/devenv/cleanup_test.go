package devenv

import (
	"slices"
	"strings"
	"testing"
)

func TestParseMountinfo(t *testing.T) {
	const mountinfo = `22 1 0:21 / / rw,relatime shared:1 - overlay overlay rw
36 22 0:33 / /work/.cairn-dev/fresh-buildkit-1/root/runc-overlayfs/executor/abc/rootfs rw - overlay overlay rw,lowerdir=/x
37 22 0:34 / /work/a\040dir/tab\011and\134slash rw - tmpfs tmpfs rw
38 22 0:35 / /work/odd\999 rw - tmpfs tmpfs rw
`
	got, err := parseMountinfo(strings.NewReader(mountinfo))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/",
		"/work/.cairn-dev/fresh-buildkit-1/root/runc-overlayfs/executor/abc/rootfs",
		"/work/a dir/tab\tand\\slash",
		`/work/odd\999`, // not an octal escape: kept as it is
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if _, err := parseMountinfo(strings.NewReader("1 2 3\n")); err == nil {
		t.Error("a malformed line parsed without error")
	}
}

func TestUnmountOrder(t *testing.T) {
	tests := []struct {
		name   string
		mounts []string // in mount order
		want   []string
	}{
		{"deepest first", []string{"/r", "/r/a", "/r/a/b", "/r/c"}, []string{"/r/a/b", "/r/c", "/r/a", "/r"}},
		{"stacked: latest first", []string{"/r/x", "/r/y", "/r/x"}, []string{"/r/x", "/r/y", "/r/x"}},
		{"none", nil, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unmountOrder(tt.mounts); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUnder(t *testing.T) {
	tests := []struct {
		path, dir string
		want      bool
	}{
		{"/a/b", "/a/b", true},
		{"/a/b/c", "/a/b", true},
		{"/a/bc", "/a/b", false},
		{"/a", "/a/b", false},
	}
	for _, tt := range tests {
		if got := under(tt.path, tt.dir); got != tt.want {
			t.Errorf("under(%q, %q) = %v, want %v", tt.path, tt.dir, got, tt.want)
		}
	}
}

func TestCanonicalRefusesRoot(t *testing.T) {
	for _, dir := range []string{"", "/", "/.", "//"} {
		if got, err := canonical(dir); err == nil {
			t.Errorf("canonical(%q) = %q, want an error", dir, got)
		}
	}
	if got, err := canonical("/nonexistent/x/.."); err != nil || got != "/nonexistent" {
		t.Errorf("canonical(/nonexistent/x/..) = %q, %v", got, err)
	}
}

func TestStartedUnder(t *testing.T) {
	const dir = "/w/.cairn-dev"
	tests := []struct {
		argv []string
		want bool
	}{
		{[]string{"/w/bin/buildkitd", "--config", dir + "/fresh-buildkit-1/root.toml"}, true},
		{[]string{"bin/registry", "serve", dir + "/registry.yml"}, true},
		{[]string{"/w/bin/buildkitd", "--config", "/other/.cairn-dev/buildkit.toml"}, false},
		{[]string{"vim", dir + "/buildkit.toml"}, false},
		{[]string{"/w/bin/buildkitd"}, false},
		{[]string{"/usr/sbin/dockerd", "--config-file", dir + "/dockerd-1/daemon.json", "--host", "unix://x"}, true},
		{[]string{"/usr/sbin/dockerd", "--config-file", "/etc/docker/daemon.json"}, false},
		{[]string{"/w/bin/registry", "serve", dir + "/daemon.json"}, false},
	}
	for _, tt := range tests {
		if got := startedUnder(tt.argv, dir); got != tt.want {
			t.Errorf("startedUnder(%q) = %v, want %v", tt.argv, got, tt.want)
		}
	}
}

func TestDaemonConfig(t *testing.T) {
	base := DaemonOptions{Root: "/r/root", Registry: "127.0.0.1:5000"}
	tests := []struct {
		name     string
		opts     func(*DaemonOptions)
		want     []string
		wantNone []string
	}{
		{"defaults", func(*DaemonOptions) {}, []string{`root = "/r/root"`, `mirrors = ["127.0.0.1:5000"]`}, []string{"max-parallelism", "platforms"}},
		{"max parallelism", func(o *DaemonOptions) { o.MaxParallelism = 1 }, []string{"[worker.oci]\n  enabled = true\n  gc = false\n  max-parallelism = 1\n"}, []string{"platforms"}},
		{"platforms", func(o *DaemonOptions) { o.Platforms = []string{"linux/arm64", "linux/arm/v7"} }, []string{"  gc = false\n  platforms = [\"linux/arm64\", \"linux/arm/v7\"]\n\n[worker.containerd]"}, []string{"max-parallelism"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := base
			tt.opts(&opts)
			got := daemonConfig(opts, "unix:///r/root.sock")
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("config lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tt.wantNone {
				if strings.Contains(got, w) {
					t.Errorf("config has %q:\n%s", w, got)
				}
			}
		})
	}
}
