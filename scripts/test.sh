#!/usr/bin/env bash
# Runs every test: installs what is missing (as run.sh does, plus Chromium), builds the worker and the
# dashboard, then runs formatting and unit tests, the integration tests against a real `wrangler dev`
# with a fresh local D1 state, the API tests in node (tests/api) and the browser tests in headless
# Chromium.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$EVIDENT_ROOT"
started=$SECONDS

ensure_cargo_tools
ensure_npm_packages
ensure_chromium

log "formatting"
cargo fmt --all -- --check

build_app
build_worker dev

log "unit and integration tests"
cargo test --workspace

log "API tests in node (Cloudflare Access sign-in with locally generated keys)"
# Bounded: a wait that can never end (a promise in the page, a server that stopped answering) fails
# after ten minutes instead of holding the run until CI's limit. (Some Node versions apply the limit
# to each file rather than each test, so it is far above a file's few minutes.)
node --test --test-concurrency=1 --test-timeout=600000 tests/api/*.test.mjs

log "browser tests"
cargo build --quiet --release -p evident-tests --bin evident-demo
node --test --test-concurrency=1 --test-timeout=600000 tests/browser/*.test.mjs

log "all tests passed in $((SECONDS - started)) s"
