#!/bin/sh
# The job script of cairn's GitLab CI component (templates/cairn/template.yml
# embeds it; a test checks the copy). POSIX sh: the job image may be
# alpine or busybox. It installs cairn when the image has none (CAIRN_VERSION,
# checked against the release's SHA256SUMS), logs in to the project's
# registry (CI_REGISTRY*), runs cairn build on $BUILDKIT_HOST (the buildkitd
# service) and writes cairn.env, a dotenv report: CAIRN_DIGEST (the first
# target's image) and CAIRN_METADATA_FILE. cairn reads the branch and merge
# request from GitLab's variables itself.
set -eu

fail() { echo "cairn: $*" >&2; exit 2; }

install_cairn() {
  command -v cairn >/dev/null 2>&1 && return 0
  case "$(uname -m)" in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) fail "no release binary for $(uname -m)" ;;
  esac
  name="cairn-linux-$arch"
  base=${CAIRN_RELEASE_URL:-https://github.com/cairn-build/cairn/releases}
  case "${CAIRN_VERSION:-latest}" in
    latest) base="$base/latest/download" ;;
    *) base="$base/download/$CAIRN_VERSION" ;;
  esac
  dir=${CAIRN_INSTALL_DIR:-${CI_PROJECT_DIR:-.}/.cairn-bin}
  mkdir -p "$dir"
  wget -q -O "$dir/$name" "$base/$name" || fail "download $base/$name"
  wget -q -O "$dir/SHA256SUMS" "$base/SHA256SUMS" || fail "download $base/SHA256SUMS"
  want=$(awk -v n="$name" '$2 == n || $2 == "*" n { print $1 }' "$dir/SHA256SUMS")
  [ -n "$want" ] || fail "$name is not in the release's SHA256SUMS"
  got=$(sha256sum "$dir/$name" | cut -d' ' -f1)
  [ "$got" = "$want" ] || fail "$name: checksum $got, SHA256SUMS says $want"
  mv "$dir/$name" "$dir/cairn" && chmod 755 "$dir/cairn" && rm -f "$dir/SHA256SUMS"
  PATH="$dir:$PATH"
}

# login writes the project registry's job token where cairn's keychain
# reads it (the docker config), unless a config is there already.
login() {
  [ -n "${CI_REGISTRY:-}" ] && [ -n "${CI_REGISTRY_USER:-}" ] && [ -n "${CI_REGISTRY_PASSWORD:-}" ] || return 0
  config=${DOCKER_CONFIG:-$HOME/.docker}
  if [ -f "$config/config.json" ]; then
    echo "cairn: $config/config.json exists: not adding $CI_REGISTRY's job token" >&2
    return 0
  fi
  mkdir -p "$config"
  auth=$(printf '%s:%s' "$CI_REGISTRY_USER" "$CI_REGISTRY_PASSWORD" | base64 | tr -d '\n')
  (umask 077 && printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$CI_REGISTRY" "$auth" >"$config/config.json")
}

[ -n "${BUILDKIT_HOST:-}" ] || fail "BUILDKIT_HOST is not set: the component's buildkitd service sets it"
case "${CAIRN_COMMAND:-build}" in
  build | check) ;;
  *) fail "command \"$CAIRN_COMMAND\": want build or check" ;;
esac
install_cairn
login

metadata=${CAIRN_METADATA_FILE:-cairn-metadata.json}
set -- "${CAIRN_COMMAND:-build}" --progress plain --metadata-file "$metadata"
[ -n "${CAIRN_REPOSITORY:-}" ] && set -- "$@" --repository "$CAIRN_REPOSITORY"
set -f # the lists below are split on commas and spaces, never globbed
for tag in $(echo "${CAIRN_TAGS:-}" | tr ',' ' '); do
  set -- "$@" --tag "$tag"
done
case "${CAIRN_PUSH:-false}" in
  true) [ "${CAIRN_COMMAND:-build}" = build ] || fail "push: only cairn build publishes"; set -- "$@" --push ;;
  false) ;;
  *) fail "push: want true or false, got \"$CAIRN_PUSH\"" ;;
esac
# More flags, split on spaces.
# shellcheck disable=SC2086
set -- "$@" ${CAIRN_ARGS:-} "${CAIRN_CONTEXT:-.}"
set +f

echo "cairn $*"
cairn "$@"

digest=$(sed -n 's/.*"containerimage.digest": *"\(sha256:[0-9a-f]*\)".*/\1/p' "$metadata" | head -n 1)
printf 'CAIRN_DIGEST=%s\nCAIRN_METADATA_FILE=%s\n' "$digest" "$metadata" >"${CAIRN_DOTENV:-cairn.env}"
