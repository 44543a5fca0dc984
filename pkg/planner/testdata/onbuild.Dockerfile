FROM alpine:3.20 AS assets
RUN mkdir -p /assets && echo hi > /assets/index.html

# Stages built FROM web-base run its trigger, so they need "assets".
FROM nginx:1.27 AS web-base
ONBUILD COPY --from=assets /assets /usr/share/nginx/html
RUN rm -rf /usr/share/nginx/html

FROM web-base AS web
RUN nginx -t
