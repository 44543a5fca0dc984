variable "CHANNEL" {
  default = "stable"
}

target "app" {
  args = {
    CHANNEL = CHANNEL
  }
  platforms = ["linux/amd64", "linux/arm/v7"]
}

target "app-slim" {
  inherits = ["app"]
  target   = "slim"
  tags     = ["reg.test/mixed/app:${CHANNEL}-slim"]
}

group "release" {
  targets = ["app", "app-slim"]
}
