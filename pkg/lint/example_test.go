package lint_test

import (
	"context"
	"fmt"

	"github.com/cairn-build/cairn/pkg/lint"
)

func ExampleLint() {
	dockerfile := []byte(`FROM golang:1.26 AS build
RUN curl -fsSLo /tmp/tool.tgz https://example.com/tool.tgz
RUN tar -xzf /tmp/tool.tgz -C /usr/local && rm /tmp/tool.tgz
RUN go build -o /out/app .

# hadolint ignore=DL3006
FROM alpine as runtime
COPY --from=build /out/app /app
ENTRYPOINT ["/app"]
`)
	findings, err := lint.Lint(context.Background(), dockerfile, lint.Options{
		Severity: map[string]lint.Severity{"CAIRN002": lint.Info},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range findings {
		fmt.Printf("%d %s %s: %s\n", f.Line, f.Severity, f.Rule, f.Message)
	}
	// Output:
	// 2 error CAIRN005: curl downloads without a checksum or signature check in the same RUN: verify it, e.g. echo "<sha256>  file" | sha256sum -c -
	// 3 warning CAIRN004: /tmp/tool.tgz created on line 2, deleted on line 3: the bytes stay in the earlier layer; create and delete it in the same RUN
	// 7 info CAIRN002: the final image sets no USER, so it runs as root: add a non-root USER
	// 7 warning buildkit/FromAsCasing: 'as' and 'FROM' keywords' casing do not match
}

func ExampleRules() {
	for _, r := range lint.Rules()[:3] {
		fmt.Printf("%s %s: %s\n", r.ID, r.Severity, r.Description)
	}
	// Output:
	// DL3006 warning: FROM image has no tag
	// DL3007 warning: FROM image uses the latest tag
	// CAIRN001 warning: FROM image has no @sha256 digest pin (only with digest pinning on)
}
