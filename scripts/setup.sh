#!/usr/bin/env bash
# Install what the page build and the tests need, from crates.io, npm and Debian only.
# Each step checks first and is skipped when the right version is already there.
#   scripts/setup.sh web      wasm32 target, trunk, wasm-bindgen-cli, npm packages (wasm-opt)
#   scripts/setup.sh browser  Debian chromium and chromium-driver
#   scripts/setup.sh all      both
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
# The wasm-bindgen CLI must match the library version locked in Cargo.lock exactly.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

web() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
    say "installing trunk $TRUNK_VERSION from crates.io (about 8 minutes on 2 cores)"
    cargo install --locked trunk --version "$TRUNK_VERSION"
  fi
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION from crates.io (about 5 minutes)"
    # Not --locked: one of its locked dependencies is no longer on crates.io.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
  if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/playwright-core ]; then
    say "installing npm packages (binaryen for wasm-opt, playwright-core)"
    npm ci --no-audit --no-fund
  fi
}

browser() {
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    say "installing Debian chromium and chromium-driver"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y chromium chromium-driver
  fi
}

case "${1:-all}" in
  web) web ;;
  browser) browser ;;
  all) web; browser ;;
  *) echo "usage: $0 [web|browser|all]" >&2; exit 2 ;;
esac
