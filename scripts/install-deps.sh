#!/usr/bin/env bash
# Installs the pinned external binaries pegzone runs against into the git-ignored .bin/ folder.
# Built from source through the Go module proxy; a matching binary already on PATH is reused.
set -euo pipefail

COMETBFT_VERSION="v0.38.26"
# btcd (and its RPC client btcctl) run a regtest Bitcoin main chain for the tests and the relayer.
# v0.26.2 is the newest release on the Go module proxy (go list -m -versions github.com/btcsuite/btcd); it needs Go 1.25.
BTCD_VERSION="v0.26.2"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/.bin"
mkdir -p "$bin"

# $1 wanted version (without the v), $2 version output of a candidate
version_matches() { [[ "$2" == *"$1"* ]]; }

# What a candidate binary says about its version: the output of its version-printing args, or, when
# those args are the single word "stamp" (binaries whose own version output is useless: btcctl reports
# a hard-coded 0.23.1 whatever release it was built from), the stamp file written next to it when this
# script built it. A binary on PATH has no stamp, so it is never reused in that case.
installed_version() { # path, version-printing args...
  local path="$1"; shift
  if [ "$*" = "stamp" ]; then
    cat "$path.version" 2>/dev/null || true
  else
    "$path" "$@" 2>&1 || true
  fi
}

install_go_binary() { # name, module path, version, version-printing args (or "stamp")...
  local name="$1" module="$2" version="$3"; shift 3
  if [ -x "$bin/$name" ] && version_matches "${version#v}" "$(installed_version "$bin/$name" "$@")"; then
    return 0
  fi
  local onpath
  onpath="$(command -v "$name" || true)"
  if [ -n "$onpath" ] && [ "$onpath" != "$bin/$name" ] && version_matches "${version#v}" "$(installed_version "$onpath" "$@")"; then
    ln -sf "$onpath" "$bin/$name"
    echo "pegzone: using $name $version from $onpath"
    return 0
  fi
  if ! command -v go >/dev/null 2>&1; then
    echo "pegzone: $name $version is needed and Go is not installed." >&2
    echo "pegzone: install Go 1.25 or newer (https://go.dev/doc/install), then run 'npm run deps' again." >&2
    exit 1
  fi
  echo "pegzone: building $name $version with 'go install' (first run only; this takes a few minutes)..."
  rm -f "$bin/$name.version"
  GOBIN="$bin" GOFLAGS="-mod=mod" go install "$module@$version"
  if [ "$*" = "stamp" ]; then echo "$module $version" > "$bin/$name.version"; fi
  version_matches "${version#v}" "$(installed_version "$bin/$name" "$@")" || { echo "pegzone: $bin/$name does not report $version" >&2; exit 1; }
}

install_go_binary cometbft github.com/cometbft/cometbft/cmd/cometbft "$COMETBFT_VERSION" version
install_go_binary btcd github.com/btcsuite/btcd "$BTCD_VERSION" --version
install_go_binary btcctl github.com/btcsuite/btcd/cmd/btcctl "$BTCD_VERSION" stamp
