#!/usr/bin/env bash
# Minifies the JS glue wasm-bindgen writes for the dashboard (Trunk leaves it as generated): 9.1 KB
# gzip as written, 7.0 KB minified, most of it doc comments and long local names. Trunk runs it after
# each release build (Trunk.toml [[hooks]]) on the staging directory, before dist/ is replaced; the
# glue carries no SRI hash (see app/index.html), so changing it after Trunk named it is safe, and its
# name still changes whenever its content does.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${TRUNK_PROFILE:-release}" = release ] || exit 0
staging=${TRUNK_STAGING_DIR:?run by Trunk as a post_build hook}
esbuild=${ESBUILD_BIN:-node_modules/.bin/esbuild}
for glue in "$staging"/evident-app-*.js; do
  "$esbuild" "$glue" --minify --format=esm --log-level=warning --outfile="$glue.min"
  mv "$glue.min" "$glue"
done
