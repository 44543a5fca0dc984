# One base stage per architecture, picked by the target architecture
# (moby/buildkit's own "FROM base-${TARGETARCH}" pattern).
FROM alpine:3.20 AS base-amd64
RUN apk add --no-cache libc6-compat

FROM alpine:3.20 AS base-arm64
RUN apk add --no-cache gcompat

FROM alpine:3.20 AS base-arm
RUN echo "32-bit arm" > /etc/arch-note

FROM base-${TARGETARCH} AS final
COPY app /usr/local/bin/app
ENTRYPOINT ["app"]
