#!/usr/bin/env bash
# Builds the dashboard into dist/ with Trunk (release, wasm-opt); skipped when nothing changed.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
ensure_cargo_tools
ensure_npm_packages
build_app
