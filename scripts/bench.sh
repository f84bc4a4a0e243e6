#!/usr/bin/env bash
# Benchmarks. Without options, ingestion: the native per-event pipeline in microseconds, the SQLite
# ceiling (the same rows inserted straight into SQLite), and events per second through a real `wrangler
# dev` with local D1 (its own fresh database) for batches of 1, 100 and 500; `--native-only` stops after
# the first two. With `--queries [--sizes N,M] [--runs R]`, queries at 100k and 1M demo events (see
# tests/src/bin/evident-query-bench.rs). Uses the optimised (release) worker, as deployed; the benchmark
# binaries themselves are built for speed (profile bench-native).
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$EVIDENT_ROOT"
bench=evident-bench
if [ "${1:-}" = --queries ]; then
  bench=evident-query-bench
  shift
fi
if [ "${1:-}" != --native-only ]; then
  ensure_cargo_tools
  ensure_npm_packages
  build_app
  # wrangler passes this through to scripts/build-worker.sh, so it keeps the optimised build.
  export EVIDENT_WORKER_FLAVOUR=release
  build_worker release
fi
cargo build --quiet --profile bench-native -p evident-tests --bin "$bench"
"$CARGO_TARGET_DIR/bench-native/$bench" "$@"
