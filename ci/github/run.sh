#!/usr/bin/env bash
# The action's run step: `cairn build` (or check) with the action's inputs
# (INPUT_*, mapped in action.yml) as flags, on the job's BuildKit daemon:
# INPUT_ADDR, else $BUILDKIT_HOST, else the docker-container builder
# docker/setup-buildx-action made (INPUT_BUILDER, else $BUILDX_BUILDER).
# cairn itself appends digest, digest-TARGET and metadata (the metadata
# file's path) to $GITHUB_OUTPUT and a summary to $GITHUB_STEP_SUMMARY;
# this adds metadata-json, the file's content.
set -euo pipefail

fail() { echo "::error title=cairn::$*" >&2; exit 2; }

# lines splits a newline-separated input into args, one per non-empty line;
# with "csv", commas separate too (tags, targets).
lines() {
  local flag=$1 value=$2 mode=${3:-} line
  [ "$mode" = csv ] && value=${value//,/$'\n'}
  while IFS= read -r line; do
    line=$(printf '%s' "$line" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
    [ -n "$line" ] && args+=("$flag" "$line")
  done <<<"$value"
  return 0
}

truthy() {
  case "${1,,}" in
    true | 1 | yes) return 0 ;;
    false | 0 | no | "") return 1 ;;
    *) fail "want true or false, got \"$1\"" ;;
  esac
}

# daemon is the BuildKit address cairn builds on.
daemon() {
  if [ -n "${INPUT_ADDR:-}" ]; then echo "$INPUT_ADDR"; return; fi
  if [ -n "${BUILDKIT_HOST:-}" ]; then echo "$BUILDKIT_HOST"; return; fi
  local builder=${INPUT_BUILDER:-${BUILDX_BUILDER:-}}
  [ -n "$builder" ] || fail "no BuildKit daemon: run docker/setup-buildx-action first, or set the addr input or BUILDKIT_HOST"
  [ "$builder" != default ] || fail "builder \"default\" is the docker driver, which has no BuildKit address: use setup-buildx-action's docker-container driver"
  # buildx names the container of a docker-container builder's first node so.
  echo "docker-container://buildx_buildkit_${builder}0"
}

command=${INPUT_COMMAND:-build}
case "$command" in
  build | check) ;;
  *) fail "command \"$command\": want build or check" ;;
esac

addr=$(daemon)
args=("$command" --addr "$addr" --progress "${INPUT_PROGRESS:-plain}")
[ -n "${INPUT_CONFIG:-}" ] && args+=(--config "$INPUT_CONFIG")
[ -n "${INPUT_FILE:-}" ] && args+=(--file "$INPUT_FILE")
[ -n "${INPUT_REPOSITORY:-}" ] && args+=(--repository "$INPUT_REPOSITORY")
[ -n "${INPUT_CACHE_MODE:-}" ] && args+=(--cache-mode "$INPUT_CACHE_MODE")
[ -n "${INPUT_CACHE_REF:-}" ] && args+=(--cache-ref "$INPUT_CACHE_REF")
[ -n "${INPUT_PLATFORMS:-}" ] && args+=(--platform "$INPUT_PLATFORMS")
lines --target "${INPUT_TARGETS:-}" csv
lines --tag "${INPUT_TAGS:-}" csv
lines --build-arg "${INPUT_BUILD_ARGS:-}"
lines --secret "${INPUT_SECRETS:-}"
lines --label "${INPUT_LABELS:-}"
lines --annotation "${INPUT_ANNOTATIONS:-}"
lines --registry-mirror "${INPUT_REGISTRY_MIRRORS:-}"
if truthy "${INPUT_PUSH:-false}"; then
  [ "$command" = build ] || fail "push: only cairn build publishes"
  args+=(--push)
fi
truthy "${INPUT_LOAD:-false}" && args+=(--load)
metadata=${INPUT_METADATA_FILE:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/cairn-metadata.json}
args+=(--metadata-file "$metadata")
# Extra flags, split as the shell splits words (no globbing).
if [ -n "${INPUT_ARGS:-}" ]; then
  set -f
  # shellcheck disable=SC2206
  args+=($INPUT_ARGS)
  set +f
fi
args+=("${INPUT_CONTEXT:-.}")

echo "cairn ${args[*]}"
cairn "${args[@]}"

if [ -f "$metadata" ] && [ -n "${GITHUB_OUTPUT:-}" ]; then
  delim="cairn-$RANDOM$RANDOM"
  { echo "metadata-json<<$delim"; cat "$metadata"; echo; echo "$delim"; } >>"$GITHUB_OUTPUT"
fi
