package planner

import (
	"fmt"
	"strings"
)

// SameStages checks that a plan made for another platform publishes what
// the project's plan says a publish moves: the same stages, cache refs and
// tags.
func SameStages(want, got *Plan) error {
	key := func(p *Plan) string {
		var b strings.Builder
		for _, s := range p.Stages {
			if s.Standalone {
				fmt.Fprintf(&b, "%s %s %v\n", s.Name, s.CacheExport, s.Tags)
			}
		}
		return b.String()
	}
	if key(want) != key(got) {
		return fmt.Errorf("the plan needs other stages (%s) than on this platform (%s): build these platforms separately",
			standalone(got), standalone(want))
	}
	return nil
}

func standalone(p *Plan) string {
	var names []string
	for _, s := range p.Stages {
		if s.Standalone {
			names = append(names, s.Name)
		}
	}
	return strings.Join(names, ", ")
}
