package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cairn-build/cairn/internal/testenv"
)

// TestBuildOnSeveralDaemons: repeated --addr, or builders: in build.yaml,
// spread examples/wide's three independent stages over three daemons; the
// summary and the metadata file name the daemon of each stage.
func TestBuildOnSeveralDaemons(t *testing.T) {
	addrs := []string{testenv.NewDaemon(t).Addr, testenv.NewDaemon(t).Addr, testenv.NewDaemon(t).Addr}
	dir := t.TempDir()
	if out, err := exec.Command("cp", "-r", filepath.Join("..", "..", "examples", "wide")+"/.", dir).CombinedOutput(); err != nil {
		t.Fatalf("copy the example: %v\n%s", err, out)
	}
	yaml, err := os.ReadFile(filepath.Join(dir, "build.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var builders strings.Builder
	builders.WriteString("builders:\n")
	for i, a := range addrs {
		fmt.Fprintf(&builders, "  - { address: %q, name: b%d }\n", a, i)
	}
	tests := []struct {
		name  string
		yaml  string   // build.yaml
		flags []string // --addr flags
		names []string // of the builders
	}{
		{"--addr", string(yaml), []string{"--addr", addrs[0], "--addr", addrs[1], "--addr", addrs[2]}, addrs},
		{"build.yaml", string(yaml) + builders.String(), nil, []string{"b0", "b1", "b2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(dir, "build.yaml"), []byte(tt.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			metadata := filepath.Join(t.TempDir(), "m.json")
			args := append([]string{"build", "--repository", testenv.Repo(t), "--push", "--build-arg", "BUSY=1", "--progress", "quiet", "--metadata-file", metadata}, tt.flags...)
			code, stdout, stderr := runCLI(t, dir, args...)
			if code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			if !strings.HasPrefix(stdout, "STAGE  BUILDER") {
				t.Errorf("the summary does not name the builders:\n%s", stdout)
			}
			data, err := os.ReadFile(metadata)
			if err != nil {
				t.Fatal(err)
			}
			testenv.ValidateReport(t, data)
			var m struct {
				Stages []struct{ Name, Builder string }
			}
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			var used []string
			for _, s := range m.Stages[:3] {
				used = append(used, s.Builder)
			}
			slices.Sort(used)
			want := slices.Sorted(slices.Values(tt.names))
			if !slices.Equal(used, want) {
				t.Errorf("one, two, three built on %v, want one each on %v", used, want)
			}
		})
	}
}
