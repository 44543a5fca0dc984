package build_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/moby/buildkit/client"

	"github.com/cairn-build/cairn/internal/testenv"
	"github.com/cairn-build/cairn/pkg/build"
	"github.com/cairn-build/cairn/pkg/cache"
	"github.com/cairn-build/cairn/pkg/check"
	"github.com/cairn-build/cairn/pkg/planner"
)

// layoutOf builds the Dockerfile's last stage without pushing and returns
// the OCI layout of its image.
func layoutOf(t *testing.T, c *client.Client, dockerfile string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	plan, err := planner.New([]byte(dockerfile), planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	last := plan.Stages[len(plan.Stages)-1].Name
	out := filepath.Join(t.TempDir(), "layout")
	_, err = build.Run(t.Context(), c, plan, build.Options{
		Context: dir, Dockerfile: filepath.Join(dir, "Dockerfile"), CacheMode: cache.ModeOff,
		Layouts: map[string]string{last: out},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLayoutRunnerInBuiltImage(t *testing.T) {
	env := testenv.Get(t)
	ctx := t.Context()
	c := sharedDaemon(t, env)
	withShell := layoutOf(t, c, "FROM busybox:1.36\nENV GREETING=hello\nWORKDIR /srv\nRUN echo data > file\n")
	// No shell, no busybox: only the runner's mount can capture output.
	noShell := layoutOf(t, c, "FROM busybox:1.36 AS src\nFROM scratch\nCOPY --from=src /bin/busybox /busybox\n")

	tests := []struct {
		name   string
		layout string
		setup  []string
		argv   []string
		want   check.Output
	}{
		{"env and workdir of the image", withShell, nil, []string{"sh", "-c", "echo $GREETING from $(pwd); cat file"}, check.Output{Stdout: "hello from /srv\ndata\n"}},
		{"stderr and exit code", withShell, nil, []string{"sh", "-c", "echo oops >&2; exit 3"}, check.Output{Stderr: "oops\n", ExitCode: 3}},
		{"setup runs first", withShell, []string{"echo set > /srv/setup"}, []string{"cat", "/srv/setup"}, check.Output{Stdout: "set\n"}},
		{"missing command", withShell, nil, []string{"no-such-command"}, check.Output{ExitCode: 127}},
		{"image without a shell", noShell, nil, []string{"/busybox", "echo", "bare"}, check.Output{Stdout: "bare\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runner, err := build.NewLayoutRunner(c, tt.layout, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := runner.Run(ctx, tt.setup, tt.argv)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want.Stderr == "" && tt.want.ExitCode == 127 {
				got.Stderr = "" // the shell's wording of "not found" is its own
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
