# Picked up after docker-bake.hcl by the default lookup.
variable "VERSION" {
  default = "1.1.0"
}

target "worker" {
  args = {
    EXTRA = "from-override"
  }
}
