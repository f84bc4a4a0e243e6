# Sourced by every script: where tools and build output live, and the settings that keep wrangler,
# miniflare and the build tools from reaching the network.
EVIDENT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export EVIDENT_ROOT

# Build output outside the clone, so fresh clones (and CI) reuse earlier compilation.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/evident/target}"
EVIDENT_TOOLS_BIN="${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}/bin"
export PATH="$EVIDENT_ROOT/node_modules/.bin:$EVIDENT_TOOLS_BIN:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# worker-build and Trunk would download these; point them at the installed ones.
export WASM_BINDGEN_BIN="$EVIDENT_TOOLS_BIN/wasm-bindgen"
export WASM_OPT_BIN="$EVIDENT_ROOT/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$EVIDENT_ROOT/node_modules/@esbuild/linux-x64/bin/esbuild"

# No telemetry, no banner, no request to Cloudflare for `request.cf` data.
export WRANGLER_SEND_METRICS=false
export WRANGLER_HIDE_BANNER=true
export CLOUDFLARE_CF_FETCH_ENABLED=false
export DO_NOT_TRACK=1

# Pinned versions of the cargo tools (see TOOLCHAIN.md for why these).
WASM_BINDGEN_VERSION=0.2.130
WORKER_BUILD_VERSION=0.8.7
TRUNK_VERSION=0.21.14

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
