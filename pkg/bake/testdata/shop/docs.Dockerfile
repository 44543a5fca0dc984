FROM busybox:1.36 AS docs
COPY --from=src main.txt /docs/main.txt
COPY --from=api /srv/main.txt /docs/built.txt
