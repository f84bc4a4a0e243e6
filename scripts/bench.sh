#!/usr/bin/env bash
# Benchmarks ingestion through a real `wrangler dev` with local D1 (its own fresh database) and prints
# events per second for batches of 1, 100 and 500. Uses the optimised (release) worker, as deployed.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$EVIDENT_ROOT"
ensure_cargo_tools
ensure_npm_packages
build_app
# wrangler passes this through to scripts/build-worker.sh, so it keeps the optimised build.
export EVIDENT_WORKER_FLAVOUR=release
build_worker release
cargo build --quiet --release -p evident-tests --bin evident-bench
"$CARGO_TARGET_DIR/release/evident-bench"
