# syntax=docker/dockerfile:1
# A Dockerfile that follows every rule: cairn must report nothing.
ARG GO_VERSION=1.26
FROM golang:${GO_VERSION}-bookworm@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,target=/var/lib/apt,sharing=locked \
    apt-get update && apt-get install -y --no-install-recommends upx-ucl
ARG TOOL_VERSION=1.2.3
RUN curl -fsSL "https://example.com/tool-${TOOL_VERSION}.tgz" -o /tmp/tool.tgz \
 && echo "4a5b6c  /tmp/tool.tgz" | sha256sum -c - \
 && tar -xzf /tmp/tool.tgz -C /usr/local/bin \
 && rm /tmp/tool.tgz
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/root/go/pkg/mod go mod download
COPY . .
RUN --mount=type=secret,id=netrc,target=/root/.netrc \
    go build -o /out/app . && upx /out/app

FROM build AS test
RUN go vet ./... && go test ./... | tee /tmp/test.log

FROM alpine:3.20@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef AS runtime
RUN apk add --no-cache ca-certificates && addgroup -S app && adduser -S -G app app
COPY --from=build /out/app /usr/local/bin/app
USER app
HEALTHCHECK CMD wget -q --spider http://localhost:8080/health || exit 1
ENTRYPOINT ["app"]
