#!/usr/bin/env bash
# Builds the worker (Rust -> wasm + JS shim in worker/build/) with worker-build. wrangler runs this on
# start and on every source change ([build] in wrangler.toml); scripts call it before starting servers.
#
# Two flavours: under `wrangler dev` (WRANGLER_COMMAND=dev) wasm-opt is skipped, which saves most of the
# build time; otherwise (deploy, size measurement) the output is optimised. A build is skipped when its
# flavour matches and no source is newer than the output, which keeps repeated starts (tests) instant.
set -euo pipefail
source "$(dirname "$0")/lib/env.sh"
cd "$EVIDENT_ROOT"

# An explicit EVIDENT_WORKER_FLAVOUR wins; otherwise wrangler's command decides.
flavour=${EVIDENT_WORKER_FLAVOUR:-$([ "${WRANGLER_COMMAND:-}" = dev ] && echo dev || echo release)}
opt_flag=()
[ "$flavour" = dev ] && opt_flag=(--no-opt)

out=worker/build/worker/shim.mjs
stamp=worker/build/.flavour
if [ -f "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$flavour" ] &&
   [ -z "$(find worker/src shared/src worker/Cargo.toml shared/Cargo.toml Cargo.toml Cargo.lock -newer "$out" -print -quit)" ]; then
  exit 0
fi

log "building the worker ($flavour)"
(cd worker && worker-build --profile worker "${opt_flag[@]}")
echo "$flavour" > "$stamp"
