#!/usr/bin/env bash
# The action's install step: puts cairn on the job's PATH ($GITHUB_PATH).
# INPUT_VERSION names a release (v0.1.0): its binary for this runner is
# downloaded and checked against the release's SHA256SUMS. Without one,
# cairn is built from the action's own source ($GITHUB_ACTION_PATH, the ref
# the workflow's `uses:` names) with the job's Go.
set -euo pipefail

dest="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/cairn-bin"
mkdir -p "$dest"

fail() { echo "::error title=cairn install::$*" >&2; exit 1; }

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d' ' -f1
}

if [ -n "${INPUT_VERSION:-}" ]; then
  os=$(uname -s | tr '[:upper:]' '[:lower:]')
  case "$(uname -m)" in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) fail "no release binary for $(uname -m); leave version empty to build from source" ;;
  esac
  name="cairn-$os-$arch"
  base="${CAIRN_RELEASE_URL:-https://github.com/cairn-build/cairn/releases/download}/$INPUT_VERSION"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  curl -fsSL --retry 3 -o "$tmp/$name" "$base/$name" || fail "download $base/$name"
  curl -fsSL --retry 3 -o "$tmp/SHA256SUMS" "$base/SHA256SUMS" || fail "download $base/SHA256SUMS"
  want=$(awk -v n="$name" '$2 == n || $2 == "*" n { print $1 }' "$tmp/SHA256SUMS")
  [ -n "$want" ] || fail "$name is not in the release's SHA256SUMS"
  got=$(sha256 "$tmp/$name")
  [ "$got" = "$want" ] || fail "$name: checksum $got, SHA256SUMS says $want"
  install -m 755 "$tmp/$name" "$dest/cairn"
else
  src="${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}"
  command -v go >/dev/null || fail "no go in PATH to build cairn from source: add actions/setup-go, or set version"
  (cd "$src" && CGO_ENABLED=0 go build -trimpath -o "$dest/cairn" ./cmd/cairn) || fail "go build in $src"
fi

echo "$dest" >>"${GITHUB_PATH:?GITHUB_PATH is not set}"
"$dest/cairn" version
