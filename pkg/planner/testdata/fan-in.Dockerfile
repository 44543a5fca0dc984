FROM node:22-alpine AS web-deps
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci

FROM web-deps AS web
COPY web/ ./
RUN npm run build

FROM rust:1.85 AS cli
WORKDIR /cli
RUN --mount=type=bind,source=cli,target=. cargo build --release --target-dir /out

FROM golang:1.26 AS api
WORKDIR /api
RUN --mount=type=bind,source=api,target=. \
    --mount=type=bind,from=web,source=/web/dist,target=/api/static \
    go build -o /out/api .

FROM debian:bookworm-slim AS bundle
COPY --from=api /out/api /usr/local/bin/api
COPY --from=cli /out/release/cli /usr/local/bin/cli
COPY --from=Web /web/dist /srv/www
