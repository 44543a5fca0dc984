# Two services, two contexts, one shared base: `base` is a target of its
# own that api and worker read as the build context named "base", so
# BuildKit builds it once for both.

variable "CAIRN_REGISTRY" {
  default = "localhost:5000"
}

variable "TAG" {
  default = "dev"
}

group "default" {
  targets = ["api", "worker"]
}

target "base" {
  context = "base"
}

target "_service" {
  contexts = {
    base = "target:base"
  }
  target = "release"
  args = {
    BUILD_TAG = TAG
  }
}

target "api" {
  inherits = ["_service"]
  context  = "api"
  tags     = ["${CAIRN_REGISTRY}/examples/bake-two/api:${TAG}"]
}

target "worker" {
  inherits = ["_service"]
  context  = "worker"
  tags     = ["${CAIRN_REGISTRY}/examples/bake-two/worker:${TAG}"]
}
