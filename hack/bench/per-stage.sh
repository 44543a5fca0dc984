#!/usr/bin/env bash
# The classic CI script cairn replaces, as the benchmark runs it: one
# `buildctl build` per stage, each importing its own cache tag (a missing tag
# is only a warning to buildctl) and exporting an inline cache; then, once
# every stage built, the same builds again with push=true (all cached by then),
# as `docker push` of each stage tag and the final tag would.
# usage: per-stage.sh BUILDCTL REPO FINAL_TAG STAGE...   (run in the build context)
set -euo pipefail
buildctl=$1 repo=$2 final=$3
shift 3
build() { # stage push
  local names="$repo:cache-$1"
  if [ "$1" = "$last" ]; then names="$names,$repo:$final"; fi
  "$buildctl" build --progress=quiet --frontend dockerfile.v0 \
    --local context=. --local dockerfile=. --opt target="$1" \
    --import-cache "type=registry,ref=$repo:cache-$1,registry.insecure=true" \
    --export-cache type=inline \
    --output "type=image,\"name=$names\",push=$2,registry.insecure=true" >/dev/null
}
last=${*: -1}
for stage in "$@"; do build "$stage" false; done
for stage in "$@"; do build "$stage" true; done
