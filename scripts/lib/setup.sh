# Sourced by run.sh and test.sh: installs whatever this machine lacks, and skips what it has, so the
# first run on a fresh machine does everything and later runs take seconds.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_rust_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

# ensure_cargo_tool <binary> <version> <crate> [cargo install flags...]
ensure_cargo_tool() {
  local bin=$1 version=$2 crate=$3
  shift 3
  if "$EVIDENT_TOOLS_BIN/$bin" --version 2>/dev/null | grep -qw "$version"; then
    return
  fi
  log "installing $crate $version (once per machine; takes minutes)"
  # A throwaway target directory: tool builds must not evict the project's build cache. Removed
  # afterwards, whatever happened: each is about 800 MB, and they filled the disk.
  local target status=0
  target="$(mktemp -d)"
  CARGO_TARGET_DIR="$target" cargo install "$crate" --version "$version" --force "$@" || status=$?
  rm -rf "$target"
  return "$status"
}

ensure_cargo_tools() {
  ensure_rust_target
  # Not --locked: its lockfile wants a crate version the registry lacks (TOOLCHAIN.md).
  ensure_cargo_tool wasm-bindgen "$WASM_BINDGEN_VERSION" wasm-bindgen-cli
  ensure_cargo_tool worker-build "$WORKER_BUILD_VERSION" worker-build --locked
  ensure_cargo_tool trunk "$TRUNK_VERSION" trunk --locked
}

ensure_npm_packages() {
  local stamp="$EVIDENT_ROOT/node_modules/.evident-installed"
  if [ -f "$stamp" ] && [ "$stamp" -nt "$EVIDENT_ROOT/package.json" ] && [ "$stamp" -nt "$EVIDENT_ROOT/package-lock.json" ]; then
    return
  fi
  log "installing npm packages (wrangler, Node 22, binaryen, playwright-core)"
  # `npm ci` cannot be used: the lockfile lacks other platforms' workerd builds (TOOLCHAIN.md).
  (cd "$EVIDENT_ROOT" && npm install --no-audit --no-fund --loglevel=error)
  touch "$stamp"
}

ensure_chromium() {
  if command -v chromium >/dev/null 2>&1; then
    return
  fi
  log "installing Chromium for the browser tests"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
}

# build_app: the dashboard into dist/, skipped when nothing it is built from changed.
build_app() {
  local out="$EVIDENT_ROOT/dist/index.html"
  if [ ! -f "$out" ] || [ -n "$(cd "$EVIDENT_ROOT" && find app shared/src style Trunk.toml Cargo.lock scripts/bundle-css.sh scripts/minify-glue.sh scripts/lib/setup.sh -newer "$out" -print -quit)" ]; then
    log "building the dashboard"
    # `--cfg erase_components` makes Leptos erase the type of every component and reactive child
    # (`AnyView`, one boxed closure type), so its rendering code is compiled once per output type
    # rather than once per view: 17 KB less gzip wasm, measured with scripts/size-report.sh.
    (cd "$EVIDENT_ROOT" && cargo fetch --quiet &&
      RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }--cfg erase_components" trunk build --release --skip-version-check)
  fi
  # The security headers hash the built page's inline script; cheap, so always rewritten.
  (cd "$EVIDENT_ROOT" && node scripts/write-headers.mjs dist)
}

# build_worker <dev|release>
build_worker() {
  EVIDENT_WORKER_FLAVOUR=$1 bash "$EVIDENT_ROOT/scripts/build-worker.sh"
}

apply_migrations() {
  # $@: extra wrangler flags, e.g. --persist-to <dir>
  (cd "$EVIDENT_ROOT" && wrangler d1 migrations apply DB --local "$@" >/dev/null)
}

load_geo() {
  # $@: extra flags for scripts/load-geo.sh, e.g. --persist-to <dir>. Skips a dataset already loaded.
  bash "$EVIDENT_ROOT/scripts/load-geo.sh" --local "$@"
}
