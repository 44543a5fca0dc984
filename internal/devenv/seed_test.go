package devenv

import (
	"os/exec"
	"slices"
	"testing"
)

func TestParseLdd(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		want    []string
		wantErr bool
	}{
		{
			name: "glibc binary",
			out: "\tlinux-vdso.so.1 (0x00007ffd5a3c9000)\n" +
				"\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f2539000000)\n" +
				"\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f2538e1e000)\n" +
				"\t/lib64/ld-linux-x86-64.so.2 (0x00007f25393a2000)\n",
			want: []string{"/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"},
		},
		{name: "static", out: "\tnot a dynamic executable\n"},
		{name: "missing library", out: "\tlibfoo.so.1 => not found\n\tlibc.so.6 => /lib/libc.so.6 (0x1)\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseLdd(tt.out)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParentDirs(t *testing.T) {
	got := parentDirs([]string{"usr/local/bin", "lib/x86_64-linux-gnu", "lib64", "usr/local/lib/node_modules"})
	want := []string{"lib", "lib/x86_64-linux-gnu", "lib64", "usr", "usr/local", "usr/local/bin", "usr/local/lib", "usr/local/lib/node_modules"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestNodeImageDeterministic builds the node image twice from the local
// install: the same inputs must give the same digest, or every dev
// environment would seed an image of its own.
func TestNodeImageDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("archives and compresses node and npm twice")
	}
	node, err := findNode()
	if err != nil {
		t.Skipf("no node to seed: %v", err)
	}
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("no busybox")
	}
	var digests []string
	for range 2 {
		img, cleanup, err := nodeImage(busybox, node)
		if err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		cleanup()
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, d.String())
	}
	if digests[0] != digests[1] {
		t.Errorf("two builds of the node image: %s and %s", digests[0], digests[1])
	}
}
