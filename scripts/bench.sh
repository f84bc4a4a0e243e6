#!/usr/bin/env bash
# Benchmarks. Without options, ingestion: the native per-event pipeline in microseconds, the SQLite
# ceiling (the same rows inserted straight into SQLite), and events per second through a real `wrangler
# dev` with local D1 (its own fresh database) for batches of 1, 100 and 500; `--native-only` stops after
# the first two. With `--queries [--sizes N,M] [--runs R] [--dashboard]`, queries at 100k and 1M demo
# events (see tests/src/bin/evident-query-bench.rs); with `--dashboard`, only the dashboard in headless
# Chromium against the 1M events (tests/bench/dashboard.mjs). Uses the optimised (release) worker, as deployed; the benchmark
# binaries themselves are built for speed (profile bench-native).
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$EVIDENT_ROOT"
bench=evident-bench
case "${1:-}" in
  --queries) bench=evident-query-bench; shift ;;
  --dashboard) bench=evident-query-bench; shift; set -- --sizes 1000000 --dashboard-only "$@" ;;
esac
if [ "$bench" = evident-query-bench ]; then
  ensure_chromium
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
