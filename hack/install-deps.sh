#!/usr/bin/env bash
# Installs what buildkitd and the seeded images need from Debian's packages:
# runc (the OCI worker's runtime) and busybox-static (the busybox base image),
# and docker.io: the engine (dockerd 20.10) the --load tests start on a socket
# of their own, and a docker CLI when there is none.
set -euo pipefail
missing=()
command -v runc >/dev/null || missing+=(runc)
command -v busybox >/dev/null || missing+=(busybox-static)
command -v dockerd >/dev/null || missing+=(docker.io)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing: ${missing[*]}; install them as root: apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
