package check

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// fakeRunner answers each command line from a table and records what it ran.
type fakeRunner struct {
	outputs map[string]Output // by argv joined with spaces
	errs    map[string]error
	ran     []string // "setup; … | argv", in call order
	cancel  context.CancelFunc
}

func (f *fakeRunner) Run(_ context.Context, setup []string, argv []string) (Output, error) {
	line := strings.Join(argv, " ")
	f.ran = append(f.ran, strings.Join(setup, "; ")+" | "+line)
	if f.cancel != nil {
		f.cancel()
		return Output{}, context.Canceled
	}
	return f.outputs[line], f.errs[line]
}

func TestRun(t *testing.T) {
	img := imageOf(t, []tf{text("etc/app.conf", "port=80\n", 0o644)})
	spec := Spec{
		Files: []FileCheck{{Path: "/etc/app.conf", Contains: []string{"port="}}},
		Commands: []CommandCheck{
			{Name: "version", Setup: []string{"touch /ready"}, Command: "app", Args: []string{"--version"}, ExpectedOutput: []string{`^app v1`}},
			{Command: "app", Args: []string{"--fail"}},
			{Command: "missing"},
		},
	}
	runner := &fakeRunner{
		outputs: map[string]Output{"app --version": {Stdout: "app v1.2\n"}, "app --fail": {Stderr: "boom\n", ExitCode: 2}},
		errs:    map[string]error{"missing": errors.New("solve: no such image")},
	}
	results, _, err := Run(t.Context(), img, spec, runner)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range results {
		got = append(got, fmt.Sprintf("%s %s %v: %s", r.Kind, r.Name, r.Passed, r.Message))
	}
	want := []string{
		"file /etc/app.conf true",
		"command version true: exit code 0, 1 expected pattern(s) matched",
		`command app --fail false: exit code 2, want 0; stderr: "boom\n"`,
		"command missing false: solve: no such image",
	}
	if len(got) != len(want) {
		t.Fatalf("results:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("result %d: %s\nwant: %s", i, got[i], want[i])
		}
	}
	wantRan := []string{"touch /ready | app --version", " | app --fail", " | missing"}
	if strings.Join(runner.ran, "\n") != strings.Join(wantRan, "\n") {
		t.Errorf("ran %q, want %q", runner.ran, wantRan)
	}
}

func TestRunErrors(t *testing.T) {
	img := imageOf(t, []tf{file("a", 1)})
	commands := Spec{Commands: []CommandCheck{{Command: "true"}, {Command: "false"}}}
	tests := []struct {
		name   string
		spec   Spec
		runner func(cancel context.CancelFunc) Runner
		want   error  // matched with errors.Is, when set
		msg    string // else contained in the error
		ran    int    // commands run
	}{
		{"commands without a runner", commands, func(context.CancelFunc) Runner { return nil }, errNoRunner, "", 0},
		{"invalid spec", Spec{Commands: []CommandCheck{{}}}, func(context.CancelFunc) Runner { return &fakeRunner{} }, nil, "invalid checks", 0},
		{"canceled while running", commands, func(cancel context.CancelFunc) Runner { return &fakeRunner{cancel: cancel} }, context.Canceled, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			runner := tt.runner(cancel)
			_, _, err := Run(ctx, img, tt.spec, runner)
			switch {
			case err == nil:
				t.Fatal("no error")
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Errorf("error %v, want %v", err, tt.want)
			case tt.want == nil && !strings.Contains(err.Error(), tt.msg):
				t.Errorf("error %v, want it to mention %q", err, tt.msg)
			}
			if f, ok := runner.(*fakeRunner); ok && len(f.ran) != tt.ran {
				t.Errorf("ran %d commands, want %d", len(f.ran), tt.ran)
			}
		})
	}
}

func TestRunWithoutCommandsNeedsNoRunner(t *testing.T) {
	img := imageOf(t, []tf{file("a", 1)})
	results, _, err := Run(t.Context(), img, Spec{Files: []FileCheck{{Path: "/a"}}}, nil)
	if err != nil || len(results) != 1 || !results[0].Passed {
		t.Errorf("results %+v, error %v; want one passed file check", results, err)
	}
}
