# Cross-compiled on the build platform; the runtime stage is picked by the
# target OS through a global ARG default.
ARG TARGETOS
ARG RUNTIME=runtime-${TARGETOS}

FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app .

FROM alpine:3.20 AS runtime-linux
COPY --from=build /out/app /app

FROM mcr.microsoft.com/windows/nanoserver:ltsc2022 AS runtime-windows
COPY --from=build /out/app /app.exe

FROM ${RUNTIME} AS release
LABEL org.opencontainers.image.title=app
COPY LICENSE /LICENSE
