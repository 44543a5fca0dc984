package planner_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cairn-build/cairn/pkg/planner"
)

// fiftyStages is a generated 50-stage Dockerfile: five chains of ten stages
// (each FROM the previous link, copying from and mounting the link before
// that), then every chain's tail fanned into the last stage.
func fiftyStages() []byte {
	var b strings.Builder
	b.WriteString("ARG GO_VERSION=1.26\n")
	for c := range 5 {
		for l := range 10 {
			name := fmt.Sprintf("c%d-s%d", c, l)
			switch l {
			case 0:
				fmt.Fprintf(&b, "FROM golang:${GO_VERSION} AS %s\n", name)
			default:
				fmt.Fprintf(&b, "FROM c%d-s%d AS %s\n", c, l-1, name)
			}
			if l >= 2 {
				fmt.Fprintf(&b, "COPY --from=c%d-s%d /out /in\n", c, l-2)
				fmt.Fprintf(&b, "RUN --mount=type=cache,from=c%d-s%d,target=/cache --mount=type=bind,target=. make %s\n", c, l-2, name)
			} else {
				fmt.Fprintf(&b, "RUN make %s\n", name)
			}
			if c > 0 && l == 9 {
				fmt.Fprintf(&b, "COPY --from=c%d-s9 /out /prev\n", c-1)
			}
		}
	}
	return []byte(b.String())
}

func BenchmarkPlan50Stages(b *testing.B) {
	dt := fiftyStages()
	var targets []planner.Target
	for c := range 5 {
		for l := range 10 {
			targets = append(targets, planner.Target{Name: fmt.Sprintf("c%d-s%d", c, l), Tags: []string{"reg/app:" + fmt.Sprint(c, l)}})
		}
	}
	opts := planner.Options{Targets: targets, CacheRef: cacheRef}
	b.ReportAllocs()
	for b.Loop() {
		p, err := planner.New(dt, opts)
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Stages) != 50 {
			b.Fatalf("planned %d stages", len(p.Stages))
		}
	}
}
