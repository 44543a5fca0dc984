# A stage may be named "scratch": later "FROM scratch" lines build on it, and
# BuildKit seeds every cache mount without from= with it.
FROM scratch AS scratch
COPY seed/ /

FROM alpine:3.20 AS build
RUN --mount=type=cache,target=/root/.cache make

FROM scratch AS out
COPY --from=build /out /
