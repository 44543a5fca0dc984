FROM golang:1.26
WORKDIR /src
RUN go build -o /bin/hello ./hello

FROM alpine:3.20
COPY --from=0 /bin/hello /bin/hello
COPY --from=busybox:1.36 /bin/sh /sh
RUN /bin/hello --version
