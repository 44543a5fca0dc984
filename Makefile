# cairn's Makefile: `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

BIN       := $(CURDIR)/bin
TOOLS     := $(BIN)/buildkitd $(BIN)/buildctl $(BIN)/registry $(BIN)/buildx $(BIN)/cosign
DEVENV    := go run ./hack/devenv
GO_DIRS   := ./cmd/... ./pkg/... ./internal/... ./ci/... ./hack/devenv/... ./hack/bench/... ./hack/chaos/...
EXAMPLE   ?= examples/node-style

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: deps
deps: ## install runc, busybox-static and docker.io (dockerd) from Debian's packages when missing
	@hack/install-deps.sh

.PHONY: tools
tools: deps $(TOOLS) ## build buildkitd, buildctl, registry, buildx and cosign (pinned in hack/tools) into ./bin

# One go build for all five; it reruns only when the pins change. buildx is
# the oracle cairn bake's --print is checked against, cosign the one
# cairn's signatures are verified with.
$(TOOLS) &: hack/tools/go.mod hack/tools/go.sum
	@echo "building buildkitd, buildctl, registry, buildx and cosign (several minutes the first time)"
	cd hack/tools && go build -o $(BIN)/ github.com/moby/buildkit/cmd/buildkitd \
		github.com/moby/buildkit/cmd/buildctl github.com/distribution/distribution/v3/cmd/registry \
		github.com/docker/buildx/cmd/buildx github.com/sigstore/cosign/v3/cmd/cosign
	@touch $(TOOLS)

.PHONY: build
build: ## build bin/cairn
	go build -o $(BIN)/cairn ./cmd/cairn

STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOIMPORTS   := golang.org/x/tools/cmd/goimports@v0.52.0
SRC_DIRS    := cmd pkg internal ci hack examples
# goimports -local: std, then third-party, then cairn's own packages last.
LOCAL       := github.com/cairn-build/cairn

.PHONY: lint
lint: ## gofmt and goimports checks, go vet and staticcheck
	@unformatted=$$(gofmt -l $(SRC_DIRS)) || exit 1; \
		if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	@unsorted=$$(go run $(GOIMPORTS) -local $(LOCAL) -l $(SRC_DIRS)) || exit 1; \
		if [ -n "$$unsorted" ]; then echo "goimports -local $(LOCAL) -w needed:"; echo "$$unsorted"; exit 1; fi
	go vet $(GO_DIRS)
	go run $(STATICCHECK) $(GO_DIRS)

.PHONY: unit
unit: ## the daemon-free tests only (go test -short): no buildkitd or registry, seconds
	go test -short $(GO_DIRS)

.PHONY: test
test: tools lint ## lint, then every test, end-to-end ones against a real buildkitd and registry
	@# -count=1: a cached result would hide a broken daemon or registry.
	go test -count=1 -timeout 30m $(GO_DIRS)

.PHONY: bench
bench: dev-up build ## benchmarks: the planner, cairn against the per-stage script and buildx bake on examples, cairn bake against buildx bake, 3 daemons against 1 (minutes)
	go test -run '^$$' -bench . -benchmem $(GO_DIRS)
	go run ./hack/bench -example examples/node-style -edit src/routes.js
	go run ./hack/bench -example examples/go-service -edit greet.go
	go run ./hack/bench -example examples/go-cache -edit internal/api/api.go
	go run ./hack/bench -example examples/npm-cache -edit packages/store/index.js
	go run ./hack/bench -bake -example examples/bake-two -edit api/api.sh
	go run ./hack/bench -pool 3 -example examples/wide

CHAOS_RUNS ?= 100
CHAOS_SEED ?= 0

.PHONY: chaos
chaos: tools ## randomized fault campaign: CHAOS_RUNS publishes with seeded faults, each checked (CHAOS_SEED replays)
	go run ./hack/chaos -runs $(CHAOS_RUNS) -seed $(CHAOS_SEED) -bin $(BIN)

.PHONY: dev-up
dev-up: tools ## start (or reuse) the registry and buildkitd; prints the addresses to use
	@$(DEVENV) up

.PHONY: dev-down
dev-down: ## stop the registry and buildkitd (their state stays in .cairn-dev)
	@$(DEVENV) down

.PHONY: dev-env
dev-env: ## print export lines for BUILDKIT_HOST and CAIRN_REGISTRY (eval them)
	@$(DEVENV) env

.PHONY: demo
demo: dev-up build ## bring the environment up, then plan, build and push an example (EXAMPLE=examples/node-style)
	@# --registry-mirror: the daemon pulls docker.io from the dev registry; so do cairn's base and cache checks.
	@eval "$$($(DEVENV) env)" && cd $(EXAMPLE) && repo="$$CAIRN_REGISTRY/demo/$$(basename $(EXAMPLE))" && set -x && \
		$(BIN)/cairn plan --repository "$$repo" && \
		$(BIN)/cairn build --repository "$$repo" --registry-mirror "$$CAIRN_REGISTRY" --push --progress plain

# A release's version is the checkout's tag (git describe); the commit is
# the checkout's. The binaries are static (no cgo), with no local paths.
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64
LDFLAGS   := -s -w -X $(LOCAL)/pkg/cairn.version=$(VERSION) -X $(LOCAL)/pkg/cairn.commit=$(COMMIT)

.PHONY: release
release: ## static binaries for linux and darwin on amd64 and arm64 into dist/, with SHA256SUMS
	@rm -rf dist && mkdir -p dist
	@for p in $(PLATFORMS); do \
		os=$${p%/*} arch=$${p#*/}; echo "dist/cairn-$$os-$$arch"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch go build -trimpath -ldflags "$(LDFLAGS)" \
			-o dist/cairn-$$os-$$arch ./cmd/cairn || exit 1; \
	done
	cd dist && sha256sum cairn-* > SHA256SUMS
	@ls -l dist

IMAGE_CONTEXT := .cairn-dev/image-context

.PHONY: image
image: dev-up build ## cairn builds cairn's own image (Dockerfile, build.yaml) and pushes it to the dev registry
	@rm -rf $(IMAGE_CONTEXT) && mkdir -p $(IMAGE_CONTEXT)
	@cp -r go.mod go.sum cmd pkg internal examples Dockerfile build.yaml $(IMAGE_CONTEXT)/
	@# The build is offline: the modules go into the context, not into the repository.
	go mod vendor -o $(IMAGE_CONTEXT)/vendor
	@eval "$$($(DEVENV) env)" && set -x && \
		$(BIN)/cairn build -c $(IMAGE_CONTEXT)/build.yaml --repository "$$CAIRN_REGISTRY/cairn" \
			--registry-mirror "$$CAIRN_REGISTRY" --push

.PHONY: clean
clean: ## stop the environment (and daemons tests left), unmount what they left, remove .cairn-dev and ./bin
	@# devenv clean, not rm -rf: a killed daemon's mounts make rm fail with "device or resource busy".
	@$(DEVENV) clean
	rm -rf $(BIN)
