# syntax=docker/dockerfile:1
ARG GO_VERSION=1.26
ARG BASE_IMAGE=gcr.io/distroless/static-debian12:nonroot

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-alpine AS deps
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download

FROM deps AS builder
ARG TARGETOS TARGETARCH
RUN --mount=type=bind,target=. --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app ./cmd/app

FROM deps AS test
RUN --mount=type=bind,target=. \
    --mount=type=cache,from=deps,source=/go/pkg/mod,target=/go/pkg/mod \
    go test ./...

FROM golangci/golangci-lint:v2.1 AS lint
RUN --mount=type=bind,from=deps,source=/src,target=/src golangci-lint run

# debug is never a target's dependency: it is only planned when asked for.
FROM alpine:3.20 AS debug
COPY --from=builder /out/app /usr/local/bin/app

FROM ${BASE_IMAGE} AS runtime
COPY --from=builder /out/app /app
USER nonroot
ENTRYPOINT ["/app"]
