# The cross toolchain depends on the platform that builds: BUILDOS and
# BUILDARCH pick the stage, $BUILDPLATFORM pins it to the build machine.
ARG TOOLCHAIN=cross-${BUILDOS}-${BUILDARCH}

FROM --platform=$BUILDPLATFORM debian:bookworm AS cross-linux-amd64
RUN apt-get update && apt-get install -y gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf

FROM --platform=$BUILDPLATFORM debian:bookworm AS cross-linux-arm64
RUN apt-get update && apt-get install -y gcc-x86-64-linux-gnu gcc-arm-linux-gnueabihf

FROM --platform=$BUILDPLATFORM debian:bookworm AS cross-linux-arm
RUN apt-get update && apt-get install -y gcc-x86-64-linux-gnu gcc-aarch64-linux-gnu

FROM ${TOOLCHAIN} AS compile
ARG TARGETPLATFORM
COPY . /src
RUN make -C /src TARGET=$TARGETPLATFORM

FROM scratch AS out
COPY --from=compile /src/out /
