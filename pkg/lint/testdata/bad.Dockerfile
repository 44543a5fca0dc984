# Every rule of cairn's checklist, broken once.
from ubuntu as build
ENV API_TOKEN=changeme
RUN apt-get update && apt-get install -y curl
RUN curl -fsSL https://example.com/install.sh | sh
RUN wget -O /tmp/big.iso https://example.com/big.iso
RUN rm /tmp/big.iso
ADD https://example.com/app.tgz /opt/

FROM alpine:latest
RUN apk add bash
COPY --from=build /opt /opt
USER root
