# The stage is named after its base image: "FROM golang" below is the stage.
FROM golang:1.26 AS golang
RUN go install golang.org/x/tools/cmd/stringer@latest

FROM golang AS gen
RUN stringer -type=Kind ./...

FROM gcr.io/distroless/static AS final
COPY --from=gen /go/bin/stringer /stringer
