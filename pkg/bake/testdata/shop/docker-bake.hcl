# A made-up shop: two services, a cross-compiled tool matrix and docs,
# written to exercise the bake features real projects' files use.

variable "REPO" {
  default = "registry.example.com/shop"
}

variable "VERSION" {
  default = "1.0.0"
}

variable "GO_VERSION" {
  default = "1.22"
}

variable "PUSH_LATEST" {
  default = false
}

function "image" {
  params = [name, version]
  result = "${REPO}/${name}:${version}"
}

function "tags" {
  params = [name]
  result = PUSH_LATEST ? [image(name, VERSION), image(name, "latest")] : [image(name, VERSION)]
}

# The GitHub metadata action writes a bake file that defines this target;
# locally it is a placeholder that targets inherit.
target "docker-metadata-action" {
  tags = ["shop:local"]
}

target "_common" {
  args = {
    GO_VERSION                    = GO_VERSION
    BUILDKIT_CONTEXT_KEEP_GIT_DIR = 1
  }
  labels = {
    "org.opencontainers.image.source" = "https://example.com/shop"
  }
}

target "_platforms" {
  platforms = ["linux/amd64", "linux/arm64"]
}

target "api" {
  inherits = ["_common", "docker-metadata-action"]
  context  = "api"
  target   = "release"
  tags     = tags("api")
  args = {
    SERVICE = "api"
  }
}

target "api-cross" {
  inherits = ["api", "_platforms"]
  tags     = [image("api", "${VERSION}-cross")]
}

target "api-debug" {
  inherits = ["api"]
  target   = "debug"
  tags     = [image("api", "${VERSION}-debug")]
}

target "worker" {
  inherits   = ["_common"]
  context    = "worker"
  dockerfile = "build/Dockerfile"
  tags       = tags("worker")
  cache-from = ["type=registry,ref=${REPO}/worker:buildcache"]
  cache-to   = ["type=inline"]
  secret     = ["id=token,env=SHOP_TOKEN"]
  ssh        = ["default"]
  network    = "none"
}

target "bin" {
  name = "bin-${os}-${arch}"
  matrix = {
    os   = ["linux", "darwin"]
    arch = ["amd64", "arm64"]
  }
  context   = "tools"
  target    = "bin"
  platforms = ["${os}/${arch}"]
  args = {
    GOOS   = os
    GOARCH = arch
  }
  output = ["type=local,dest=out/${os}-${arch}"]
}

target "inline" {
  dockerfile-inline = "FROM busybox:1.36\nRUN echo inline > /inline.txt\n"
  tags              = ["shop-inline"]
}

target "docs" {
  dockerfile = "docs.Dockerfile"
  target     = "docs"
  contexts = {
    api = "target:api"
    src = "./api"
  }
}

group "services" {
  targets = ["api", "worker"]
}

group "tools" {
  targets = ["bin"]
}

group "all" {
  targets = ["services", "tools", "docs", "inline"]
}

group "default" {
  targets = ["services"]
}
