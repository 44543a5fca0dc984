# syntax=docker/dockerfile:1
FROM alpine:3.20 AS base
RUN <<EOF
set -e
apk add --no-cache curl
echo "FROM not-a-stage AS fake" > /note
echo "COPY --from=fake / /" >> /note
EOF

FROM base AS app
COPY <<-EOT /etc/app.conf
	listen = :8080
EOT
RUN <<EOF sh
echo built
EOF
