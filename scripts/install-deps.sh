#!/usr/bin/env bash
# Installs the pinned external binaries pegzone runs against into the git-ignored .bin/ folder.
# Built from source through the Go module proxy; a matching binary already on PATH is reused.
set -euo pipefail

COMETBFT_VERSION="v0.38.26"
# btcd (and its RPC client btcctl) run a regtest Bitcoin main chain for the tests and the relayer.
# v0.26.2 is the newest release on the Go module proxy (go list -m -versions github.com/btcsuite/btcd); it needs Go 1.25.
BTCD_VERSION="v0.26.2"
# gaiad runs a local Cosmos Hub as a Tendermint main chain. v25.1.1 is the newest gaia the Go module proxy
# serves; it is pinned by the wrapper module in scripts/gaiad (go.mod, go.sum), and it needs Go 1.24.
GAIAD_VERSION="v25.1.1"
GAIAD_GO_TOOLCHAIN="go1.24.3"
# grpcurl, the gRPC client the tests call the node's gRPC server with (and operators may too).
GRPCURL_VERSION="v1.9.3"
# The .proto files of the SDK services pegzone serves over gRPC (described by its server reflection):
# the SDK gaia v25.1.1 builds with, CometBFT's, and the files they import.
COSMOS_SDK_VERSION="v0.53.3"
GOGOPROTO_VERSION="v1.7.0"
COSMOS_PROTO_VERSION="v1.0.0-beta.5"
GOGO_GOOGLEAPIS_VERSION="v1.4.1"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/.bin"
mkdir -p "$bin"
# A cold gaiad build takes 10+ minutes, and CI starts from a fresh clone with an empty .bin/:
# the built gaiad lives in a per-user cache outside the repo and .bin/ links to it.
gaiad_cache="${XDG_CACHE_HOME:-$HOME/.cache}/pegzone/gaiad-$GAIAD_VERSION"
# Even `gaiad version` writes a default home (~/.gaia/config/*.toml): its checks get a throwaway one.
gaiad_probe_home="$(mktemp -d)"
gaiad_tmp=""
trap 'rm -rf "$gaiad_probe_home" ${gaiad_tmp:+"$gaiad_tmp"}' EXIT

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

# Succeeds when .bin/ already holds a matching binary, or links one found on PATH into it.
reuse_installed() { # name, version, version-printing args (or "stamp")...
  local name="$1" version="$2"; shift 2
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
  return 1
}

require_go() { # name, version
  if ! command -v go >/dev/null 2>&1; then
    echo "pegzone: $1 $2 is needed and Go is not installed." >&2
    echo "pegzone: install Go 1.25 or newer (https://go.dev/doc/install), then run 'npm run deps' again." >&2
    exit 1
  fi
}

install_go_binary() { # name, module path, version, version-printing args (or "stamp")...
  local name="$1" module="$2" version="$3"; shift 3
  if reuse_installed "$name" "$version" "$@"; then return 0; fi
  require_go "$name" "$version"
  echo "pegzone: building $name $version with 'go install' (first run only; this takes a few minutes)..."
  rm -f "$bin/$name.version"
  GOBIN="$bin" GOFLAGS="-mod=mod" go install "$module@$version"
  if [ "$*" = "stamp" ]; then echo "$module $version" > "$bin/$name.version"; fi
  version_matches "${version#v}" "$(installed_version "$bin/$name" "$@")" || { echo "pegzone: $bin/$name does not report $version" >&2; exit 1; }
}

# gaiad links the CosmWasm engine, a shared library shipped inside the wasmvm Go module (glibc Linux builds).
wasmvm_lib() { echo "libwasmvm.$(uname -m).so"; }

# Builds gaiad into $gaiad_cache, next to its copy of libwasmvm. `go install gaia@version` is refused
# (gaia's go.mod has replace directives), so it is built inside the wrapper module scripts/gaiad.
# wasmvm's cgo flags set an rpath into the Go module cache; '-r $ORIGIN' adds the binary's own folder,
# so the cached gaiad keeps working when the module cache is cleaned.
build_gaiad() {
  require_go gaiad "$GAIAD_VERSION"
  if [ "$(uname -s)" != "Linux" ]; then
    echo "pegzone: building gaiad is only scripted for Linux; put gaiad $GAIAD_VERSION on PATH instead." >&2
    exit 1
  fi
  local started=$SECONDS version="github.com/cosmos/cosmos-sdk/version"
  # Build into a temporary folder and move it into place at the end, so an interrupted build leaves no half cache.
  gaiad_tmp="$gaiad_cache.tmp.$$"
  rm -rf "$gaiad_tmp" && mkdir -p "$gaiad_tmp"
  echo "pegzone: building gaiad $GAIAD_VERSION from scripts/gaiad with $GAIAD_GO_TOOLCHAIN into $gaiad_cache"
  echo "pegzone: first run only: this takes 10-15 minutes, ~700 MB of downloads (modules and the Go toolchain), ~5 GB of Go caches..."
  if ! (cd "$root/scripts/gaiad" && GOWORK=off GOTOOLCHAIN="$GAIAD_GO_TOOLCHAIN" CGO_ENABLED=1 go build -tags netgo \
      -ldflags "-X $version.Name=gaia -X $version.AppName=gaiad -X $version.Version=$GAIAD_VERSION -r \$ORIGIN" \
      -o "$gaiad_tmp/gaiad" github.com/cosmos/gaia/v25/cmd/gaiad); then
    echo "pegzone: building gaiad $GAIAD_VERSION failed (see the Go output above)." >&2
    exit 1
  fi
  local wasmvm
  wasmvm="$(cd "$root/scripts/gaiad" && GOWORK=off GOTOOLCHAIN="$GAIAD_GO_TOOLCHAIN" go list -m -f '{{.Dir}}' github.com/CosmWasm/wasmvm/v2)"
  echo "pegzone: copying $(wasmvm_lib) next to gaiad"
  cp "$wasmvm/internal/api/$(wasmvm_lib)" "$gaiad_tmp/"
  version_matches "${GAIAD_VERSION#v}" "$(installed_version "$gaiad_tmp/gaiad" version --home "$gaiad_probe_home")" || { echo "pegzone: the gaiad just built does not report $GAIAD_VERSION" >&2; exit 1; }
  rm -rf "$gaiad_cache" && mv "$gaiad_tmp" "$gaiad_cache"
  echo "pegzone: built gaiad $GAIAD_VERSION in $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s"
}

# gaiad: .bin/ or PATH, else the per-user cache (built into it when missing or stale), linked into .bin/.
install_gaiad() {
  if reuse_installed gaiad "$GAIAD_VERSION" version --home "$gaiad_probe_home"; then return 0; fi
  if ! { [ -x "$gaiad_cache/gaiad" ] && version_matches "${GAIAD_VERSION#v}" "$(installed_version "$gaiad_cache/gaiad" version --home "$gaiad_probe_home")"; }; then
    build_gaiad
  fi
  # The library is linked too, for tools that resolve $ORIGIN from the link's folder rather than the target's.
  ln -sf "$gaiad_cache/$(wasmvm_lib)" "$bin/$(wasmvm_lib)"
  ln -sf "$gaiad_cache/gaiad" "$bin/gaiad"
  echo "pegzone: using gaiad $GAIAD_VERSION from $gaiad_cache"
}

# Chromium (Debian's package) runs the dashboard's browser test (test/dashboard.test.ts) headless.
# Installed only where it can be without asking: as root with apt-get (CI's Debian machine); elsewhere
# that test skips, saying so. A failing apt-get never fails this script.
install_chromium() {
  if [ -x /usr/bin/chromium ]; then return 0; fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "pegzone: installing Chromium (apt-get) for the dashboard's browser test..."
    if DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 \
      || { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 \
           && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null 2>&1; }; then
      [ -x /usr/bin/chromium ] && { echo "pegzone: Chromium installed at /usr/bin/chromium"; return 0; }
    fi
    echo "pegzone: note: installing Chromium with apt-get failed; test/dashboard.test.ts (the dashboard in a browser) will skip." >&2
  else
    echo "pegzone: note: /usr/bin/chromium is missing (install Debian's 'chromium' package as root); test/dashboard.test.ts (the dashboard in a browser) will skip."
  fi
  return 0
}

# Copies the .proto files gRPC reflection needs from the Go module proxy's modules into .bin/proto,
# laid out as they import each other (cosmos/, amino/, tendermint/, gogoproto/, cosmos_proto/, google/).
install_cosmos_protos() {
  local dest="$bin/proto"
  local want="cosmos-sdk $COSMOS_SDK_VERSION cometbft $COMETBFT_VERSION gogoproto $GOGOPROTO_VERSION cosmos-proto $COSMOS_PROTO_VERSION googleapis $GOGO_GOOGLEAPIS_VERSION"
  if [ "$(cat "$dest/.version" 2>/dev/null)" = "$want" ]; then return 0; fi
  require_go "the SDK's .proto files" "$COSMOS_SDK_VERSION"
  echo "pegzone: fetching the SDK's and CometBFT's .proto files (go mod download) into $dest"
  local tmp sdk comet gogo cosmosproto googleapis
  tmp="$(mktemp -d "$bin/proto.XXXXXX")"
  module_dir() { (cd "$tmp" && GOFLAGS=-mod=mod go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'); }
  sdk="$(module_dir "github.com/cosmos/cosmos-sdk@$COSMOS_SDK_VERSION")"
  comet="$(module_dir "github.com/cometbft/cometbft@$COMETBFT_VERSION")"
  gogo="$(module_dir "github.com/cosmos/gogoproto@$GOGOPROTO_VERSION")"
  cosmosproto="$(module_dir "github.com/cosmos/cosmos-proto@$COSMOS_PROTO_VERSION")"
  googleapis="$(module_dir "github.com/gogo/googleapis@$GOGO_GOOGLEAPIS_VERSION")"
  for dir in "$sdk" "$comet" "$gogo" "$cosmosproto" "$googleapis"; do
    [ -n "$dir" ] && [ -d "$dir" ] || { echo "pegzone: go mod download did not give a module directory for the .proto files" >&2; rm -rf "$tmp"; exit 1; }
  done
  mkdir -p "$tmp/gogoproto" "$tmp/google/api"
  cp -r "$sdk/proto/cosmos" "$sdk/proto/amino" "$comet/proto/tendermint" "$cosmosproto/proto/cosmos_proto" "$tmp/"
  cp "$gogo/gogoproto/gogo.proto" "$tmp/gogoproto/"
  cp -r "$gogo/protobuf/google/protobuf" "$tmp/google/"
  cp "$googleapis/google/api/annotations.proto" "$googleapis/google/api/http.proto" "$tmp/google/api/"
  # the module cache is read-only; the copy must not be
  chmod -R u+w "$tmp"
  echo "$want" > "$tmp/.version"
  rm -rf "$dest"
  mv "$tmp" "$dest"
}

install_chromium
install_go_binary cometbft github.com/cometbft/cometbft/cmd/cometbft "$COMETBFT_VERSION" version
install_go_binary btcd github.com/btcsuite/btcd "$BTCD_VERSION" --version
install_go_binary btcctl github.com/btcsuite/btcd/cmd/btcctl "$BTCD_VERSION" stamp
# grpcurl built with `go install` reports "dev build": stamped like btcctl
install_go_binary grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl "$GRPCURL_VERSION" stamp
install_cosmos_protos
# --no-gaiad skips the Hub (the devnet then runs without it, saying so).
if [ "${1:-}" != "--no-gaiad" ]; then install_gaiad; fi
