package dfparse_test

import (
	"reflect"
	"testing"

	"github.com/cairn-build/cairn/internal/dfparse"
)

// TestRuns walks every RUN with its stage, line, form, SHELL and mounts.
func TestRuns(t *testing.T) {
	df := mustParse(t, `FROM alpine AS base
SHELL ["/bin/bash", "-c"]
RUN echo one
FROM base AS child
RUN ["/bin/true"]
RUN --mount=type=cache,target=/var/cache/apk --mount=type=bind,from=base,target=/b,source=$SRC apk add x
FROM alpine
RUN --mount=type=nope,target=/x echo
`)
	bases := make([]dfparse.Base, len(df.Stages))
	for i := range df.Stages {
		bases[i], _ = df.ResolveBase(i, dfparse.NewEnv(), df.Expand)
	}
	type run struct {
		stage, line int
		exec        bool
		shell       []string
		mounts      []string // type:from:source:target
	}
	var got []run
	for r := range df.Runs(bases) {
		g := run{stage: r.Stage, line: r.Line, exec: r.Exec, shell: r.Shell}
		for _, m := range r.Mounts {
			g.mounts = append(g.mounts, string(m.Type)+":"+m.From+":"+m.Source+":"+m.Target)
		}
		got = append(got, g)
	}
	bash := []string{"/bin/bash", "-c"}
	want := []run{
		{0, 3, false, bash, nil},
		{1, 5, true, bash, nil},
		{1, 6, false, bash, []string{"cache:::/var/cache/apk", "bind:base:$SRC:/b"}},
		{2, 8, false, nil, nil}, // an invalid mount: none
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Runs:\n got %+v\nwant %+v", got, want)
	}
	// Without bases no stage inherits a SHELL.
	for r := range df.Runs(nil) {
		if r.Stage == 1 && r.Shell != nil {
			t.Errorf("line %d: shell %q without bases", r.Line, r.Shell)
		}
	}
	var n int
	for range df.Runs(nil) {
		n++
		break
	}
	if n != 1 {
		t.Error("Runs does not stop when asked")
	}
}
