ARG VARIANT=alpine
ARG BASE_IMAGE=debian:bookworm-slim

FROM alpine:3.20 AS build-alpine
RUN apk add --no-cache build-base

FROM debian:bookworm AS build-debian
RUN apt-get update && apt-get install -y build-essential

FROM build-${VARIANT} AS build
COPY . /src
RUN make -C /src

FROM ${BASE_IMAGE} AS release
COPY --from=build /src/out /usr/local/bin/
