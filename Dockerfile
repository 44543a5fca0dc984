# cairn's own image, built by cairn (see build.yaml). The build is offline:
# `make image` vendors the modules into the context first (go mod vendor).
FROM golang:1.26 AS deps
WORKDIR /src
COPY go.mod go.sum ./
COPY vendor/ vendor/

FROM deps AS builder
COPY cmd/ cmd/
COPY pkg/ pkg/
COPY internal/ internal/
RUN go build -mod=vendor -trimpath -o /out/cairn ./cmd/cairn

# test is a gate: built, never published. -short leaves out the tests that
# need a daemon and a registry; `make test` runs those.
FROM deps AS test
COPY cmd/ cmd/
COPY pkg/ pkg/
COPY internal/ internal/
COPY examples/ examples/
RUN go vet -mod=vendor ./cmd/... ./pkg/... && go test -mod=vendor -short ./cmd/... ./pkg/...

FROM busybox:1.36 AS runtime
COPY --from=builder /out/cairn /usr/local/bin/cairn
USER nobody
ENTRYPOINT ["cairn"]
