package build

import (
	"testing"

	"github.com/cairn-build/cairn/pkg/planner"
)

// TestStepCounterMatchesVertexNames: vertex names as BuildKit v0.33.1's
// daemon printed them (buildctl --progress=plain) for the Dockerfiles noted.
func TestStepCounterMatchesVertexNames(t *testing.T) {
	only := planner.StagePlan{Name: "0", Index: 0, Standalone: true}        // FROM busybox / RUN …
	onlyNamed := planner.StagePlan{Name: "app", Index: 0, Standalone: true} // FROM busybox AS app / RUN …
	first := planner.StagePlan{Name: "0", Index: 0}                         // the first of three stages, unnamed
	x := planner.StagePlan{Name: "x", Index: 1, Standalone: true}
	last := planner.StagePlan{Name: "2", Index: 2, Standalone: true}
	app := planner.StagePlan{Name: "app", Index: 0, Standalone: true} // 11 steps, then a stage "final"
	out := planner.StagePlan{Name: "out", Index: 0, Standalone: true} // --opt platform=linux/amd64,linux/arm64

	tests := []struct {
		stage  planner.StagePlan
		vertex string
		want   bool
	}{
		{only, "[2/3] RUN echo one-2249", true},
		{only, "[1/3] FROM docker.io/library/busybox:1.36@sha256:b0f441db2550fd0b41147d09925b2cb7bc9fea3ad68770fe7bffe3e2bb0e7aea", false},
		{only, "[internal] load build definition from Dockerfile", false},
		{onlyNamed, "[2/2] RUN echo one-22124", true},
		{first, "[stage-0 2/2] RUN echo zero", true},
		{first, "[x 2/2] RUN echo x", false},
		{x, "[x 2/2] RUN echo x", true},
		{x, "[stage-0 2/2] RUN echo zero", false},
		{x, "[stage-2 2/4] COPY --from=x /bin/true /t", false},
		{last, "[stage-2 2/4] COPY --from=x /bin/true /t", true},
		{last, "[stage-2 4/4] RUN true", true},
		{last, "[stage-0 2/2] RUN echo zero", false},
		{app, "[app  2/11] RUN echo 1-9239", true},
		{app, "[app 10/11] RUN echo 9-4138", true},
		{app, "[app  1/11] FROM docker.io/library/busybox:1.36@sha256:b0f441db2550fd0b41147d09925b2cb7bc9fea3ad68770fe7bffe3e2bb0e7aea", false},
		{out, "[linux/amd64 out 1/1] COPY Dockerfile /x", true},
		{out, "[linux/amd64 stage-1 1/1] COPY --from=out /x /y", false},
		{planner.StagePlan{Name: "1", Index: 1, Standalone: true}, "[linux/amd64 stage-1 1/1] COPY --from=out /x /y", true},
		{x, "[check] setup: touch /x", false},
	}
	for _, tt := range tests {
		if got := newStepCounter(tt.stage).isStep(tt.vertex); got != tt.want {
			t.Errorf("stage %s (index %d): isStep(%q) = %v, want %v", tt.stage.Name, tt.stage.Index, tt.vertex, got, tt.want)
		}
	}
}
