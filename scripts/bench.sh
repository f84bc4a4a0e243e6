#!/usr/bin/env bash
# Benchmarks ingestion and prints: the native per-event pipeline in microseconds, the SQLite ceiling
# (the same rows inserted straight into SQLite), and events per second through a real `wrangler dev`
# with local D1 (its own fresh database) for batches of 1, 100 and 500. Uses the optimised (release)
# worker, as deployed; the benchmark binary itself is built for speed (profile bench-native).
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$EVIDENT_ROOT"
if [ "${1:-}" != --native-only ]; then
  ensure_cargo_tools
  ensure_npm_packages
  build_app
  # wrangler passes this through to scripts/build-worker.sh, so it keeps the optimised build.
  export EVIDENT_WORKER_FLAVOUR=release
  build_worker release
fi
cargo build --quiet --profile bench-native -p evident-tests --bin evident-bench
"$CARGO_TARGET_DIR/bench-native/evident-bench" "$@"
