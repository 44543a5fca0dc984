# Cache mounts in several forms, for the LLB comparison and the fuzzer.
ARG NODE_VERSION=22
ARG CACHE_ROOT=/cache

FROM node:${NODE_VERSION} AS deps
ARG CACHE_ROOT
ENV NPM_CONFIG_CACHE=${CACHE_ROOT}/npm
WORKDIR /app
RUN --mount=type=cache,target=${NPM_CONFIG_CACHE},sharing=locked \
    --mount=type=cache,target=node_modules/.cache \
    --mount=type=bind,target=/ctx \
    npm ci
ONBUILD RUN --mount=type=cache,id=onbuild-${NODE_VERSION:-none},target=/tmp/ob true

FROM deps AS build
ARG TARGETARCH
RUN --mount=type=cache,id=build-$TARGETARCH,target=/root/.cache,uid=1000,gid=1000 \
    --mount=type=cache,id=seeded,target=/seed,from=deps,source=/app \
    --mount=type=cache,target=$HOME/.cache/yarn \
    npm run build

FROM scratch
COPY --from=build /app/dist /dist
