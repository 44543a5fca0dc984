package planner_test

import (
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/cairn-build/cairn/internal/dfparse/dfparsetest"
	"github.com/cairn-build/cairn/pkg/planner"
)

func FuzzPlan(f *testing.F) {
	files, err := filepath.Glob("testdata/*.Dockerfile")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		f.Add(readTestdata(f, filepath.Base(file)))
	}
	for _, s := range dfparsetest.OddDockerfiles() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, dockerfile []byte) {
		p, err := planner.New(dockerfile, planner.Options{CacheRef: cacheRef})
		if err != nil {
			assertPlannerError(t, err)
			return
		}
		checkPlan(t, p)
		// Plan every stage as a target too, until the indexes run out.
		var all []planner.Target
		for i := range p.Stages[len(p.Stages)-1].Index + 1 {
			all = append(all, planner.Target{Name: strconv.Itoa(i)})
		}
		if p, err = planner.New(dockerfile, planner.Options{Targets: all}); err != nil {
			assertPlannerError(t, err)
			return
		}
		checkPlan(t, p)
	})
}

func assertPlannerError(t *testing.T, err error) {
	t.Helper()
	var perr *planner.Error
	if !errors.As(err, &perr) {
		t.Fatalf("error %T is not a *planner.Error: %v", err, err)
	}
}

// checkPlan asserts the plan's invariants: every target's stages end with
// the target and list each dependency before its dependent.
func checkPlan(t *testing.T, p *planner.Plan) {
	t.Helper()
	for _, tp := range p.Targets {
		if len(tp.Stages) == 0 || tp.Stages[len(tp.Stages)-1] != tp.Name {
			t.Fatalf("target %q: stages %q do not end with it", tp.Name, tp.Stages)
		}
		for k, name := range tp.Stages {
			s, ok := p.Stage(name)
			if !ok {
				t.Fatalf("target %q needs unplanned stage %q", tp.Name, name)
			}
			for _, d := range s.DependsOn {
				if !slices.Contains(tp.Stages[:k], d) {
					t.Fatalf("target %q: %q comes before its dependency %q in %q", tp.Name, name, d, tp.Stages)
				}
			}
		}
	}
	for _, write := range []func(io.Writer) error{p.WriteText, p.WriteJSON, p.WriteDOT} {
		if err := write(io.Discard); err != nil {
			t.Fatal(err)
		}
	}
}
