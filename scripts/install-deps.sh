#!/usr/bin/env bash
# Installs the pinned external binaries pegzone runs against into the git-ignored .bin/ folder.
# Built from source through the Go module proxy; a matching binary already on PATH is reused.
set -euo pipefail

COMETBFT_VERSION="v0.38.26"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/.bin"
mkdir -p "$bin"

# $1 name, $2 wanted version (without the v), $3 version command output of a candidate
version_matches() { [[ "$2" == *"$1"* ]]; }

install_go_binary() { # name, module path, version, version-printing args...
  local name="$1" module="$2" version="$3"; shift 3
  if [ -x "$bin/$name" ] && version_matches "${version#v}" "$("$bin/$name" "$@" 2>&1 || true)"; then
    return 0
  fi
  local onpath
  onpath="$(command -v "$name" || true)"
  if [ -n "$onpath" ] && [ "$onpath" != "$bin/$name" ] && version_matches "${version#v}" "$("$onpath" "$@" 2>&1 || true)"; then
    ln -sf "$onpath" "$bin/$name"
    echo "pegzone: using $name $version from $onpath"
    return 0
  fi
  if ! command -v go >/dev/null 2>&1; then
    echo "pegzone: $name $version is needed and Go is not installed." >&2
    echo "pegzone: install Go 1.22 or newer (https://go.dev/doc/install), then run 'npm run deps' again." >&2
    exit 1
  fi
  echo "pegzone: building $name $version with 'go install' (first run only; this takes a few minutes)..."
  GOBIN="$bin" GOFLAGS="-mod=mod" go install "$module@$version"
  version_matches "${version#v}" "$("$bin/$name" "$@" 2>&1)" || { echo "pegzone: $bin/$name does not report $version" >&2; exit 1; }
}

install_go_binary cometbft github.com/cometbft/cometbft/cmd/cometbft "$COMETBFT_VERSION" version
