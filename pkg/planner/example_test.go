package planner_test

import (
	"fmt"
	"os"

	"github.com/cairn-build/cairn/pkg/planner"
)

func ExampleNew() {
	dockerfile := []byte(`
ARG GO_VERSION=1.26
FROM golang:${GO_VERSION} AS deps
COPY go.mod go.sum ./
RUN go mod download

FROM deps AS builder
RUN --mount=type=bind,target=. go build -o /out/app .

FROM gcr.io/distroless/static AS runtime
COPY --from=builder /out/app /app
`)
	p, err := planner.New(dockerfile, planner.Options{
		Targets:  []planner.Target{{Name: "runtime", Tags: []string{"reg/app:1.0"}}},
		CacheRef: func(stage string) string { return "reg/app:cache-" + stage },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := p.WriteText(os.Stdout); err != nil {
		fmt.Println(err)
	}
	// Output:
	// STAGE    LEVEL  DEPENDS ON  BASE                      CACHE WRITE            CACHE READS                                                     TAGS
	// deps     0      -           golang:1.26               reg/app:cache-deps     reg/app:cache-deps                                              -
	// builder  1      deps        deps                      reg/app:cache-builder  reg/app:cache-builder,reg/app:cache-deps                        -
	// runtime  2      builder     gcr.io/distroless/static  reg/app:cache-runtime  reg/app:cache-runtime,reg/app:cache-deps,reg/app:cache-builder  reg/app:1.0
	//
	// target runtime: deps → builder → runtime
}

func ExampleNew_error() {
	_, err := planner.New([]byte("FROM alpine AS builder\nRUN make\n"), planner.Options{
		Targets: []planner.Target{{Name: "buidler"}},
	})
	fmt.Println(err)
	// Output:
	// Dockerfile: unknown target "buidler" (did you mean "builder"?)
}
