# A tool fetched on the build platform, unpacked per architecture and
# variant (arm/v6 and arm/v7 need different binaries).
ARG ALPINE_VERSION=3.20

FROM --platform=$BUILDPLATFORM alpine:${ALPINE_VERSION} AS fetch
RUN wget -O /tmp/tool.tgz https://example.com/tool.tgz

FROM fetch AS tool-amd64
RUN tar -C / -xzf /tmp/tool.tgz x86_64
FROM fetch AS tool-arm64
RUN tar -C / -xzf /tmp/tool.tgz aarch64
FROM fetch AS tool-armv7
RUN tar -C / -xzf /tmp/tool.tgz armhf
FROM fetch AS tool-armv6
RUN tar -C / -xzf /tmp/tool.tgz armel

FROM tool-${TARGETARCH}${TARGETVARIANT} AS tool
RUN /opt/tool --version

FROM alpine:${ALPINE_VERSION} AS runtime
COPY --from=tool /opt/tool /usr/local/bin/tool
ENTRYPOINT ["tool"]
