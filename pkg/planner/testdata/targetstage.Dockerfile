# TARGETSTAGE is the requested target, so each target picks its own base.
FROM alpine:3.20 AS base-dev
RUN echo dev > /mode

FROM alpine:3.19 AS base-prod
RUN echo prod > /mode

FROM base-${TARGETSTAGE} AS dev
RUN cat /mode

FROM base-${TARGETSTAGE} AS prod
RUN cat /mode && echo release
