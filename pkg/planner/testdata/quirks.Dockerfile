FROM alpine:3.20 AS early
# "late" is defined below: fine as long as no target needs "early".
COPY --from=late /x /x

FROM busybox:1.36 AS tools
COPY --from=docker/buildx-bin:0.20 /buildx /usr/libexec/docker/cli-plugins/docker-buildx
RUN --mount=type=tmpfs,target=/tmp true

FROM debian:bookworm-slim AS late
# Index 3 is past the last stage: BuildKit appends every --from image to its
# stage list, so 3 is the buildx-bin image above, not a stage.
COPY --from=3 /buildx /buildx
COPY --from=TOOLS /bin/busybox /bin/busybox
