FROM --platform=$BUILDPLATFORM tonistiigi/xx:1.6 AS xx

FROM --platform=$BUILDPLATFORM golang:1.26-alpine AS build
COPY --from=xx / /
ARG TARGETPLATFORM
RUN xx-go build -o /out/app .

FROM --platform=$TARGETPLATFORM alpine:3.20 AS runtime
COPY --from=build /out/app /app
