# Images read by COPY --from and RUN --mount from=, besides the bases.
FROM alpine:3.20 AS tools
RUN echo tool > /tool

FROM busybox:1.36
RUN --mount=from=docker.io/library/golang:1.26,target=/go \
    --mount=type=cache,target=/cache \
    --mount=from=tools,target=/t \
    cat /t/tool
COPY --from=nginx:1.27 /etc/nginx /nginx
COPY --from=docker.io/library/golang:1.26 /usr/local/go/VERSION /go-version
