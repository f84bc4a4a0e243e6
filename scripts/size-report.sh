#!/usr/bin/env bash
# Prints what the dashboard costs to download: raw and gzip (-9) bytes of the wasm, JS glue and CSS that
# dist/index.html loads (not the plain sign-in and people-and-keys pages, which load only themselves),
# and the gzip total against the budget of SPEC section 8 (200 KB, counted as 200,000 bytes).
# Builds the dashboard first when its sources changed, as scripts/build-app.sh does. Exits with 1 when
# the total is over budget.
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$EVIDENT_ROOT"
ensure_cargo_tools
ensure_npm_packages
build_app

budget=200000
total=0
# The files index.html names, as Trunk writes them (href="/name.ext").
loaded=$(grep -o 'href="/[^"]*\.\(css\|js\|wasm\)"' dist/index.html | sed 's/^href="\///; s/"$//' | sort -u)
printf '%-5s %10s %10s  %s\n' "" raw gzip files
for kind in wasm js css; do
  raw=0 gz=0 files=0
  for name in $(printf '%s\n' "$loaded" | grep "\.$kind\$"); do
    file="dist/$name"
    [ -f "$file" ] || continue
    raw=$((raw + $(wc -c <"$file")))
    # Each file is fetched, and so compressed, on its own.
    gz=$((gz + $(gzip -9 -c "$file" | wc -c)))
    files=$((files + 1))
  done
  printf '%-5s %10d %10d  %d\n' "$kind" "$raw" "$gz" "$files"
  total=$((total + gz))
done
awk -v total="$total" -v budget="$budget" 'BEGIN {
  printf "total gzip %.1f KB of the %.0f KB budget (%.0f%%)\n", total / 1000, budget / 1000, 100 * total / budget
}'
if [ "$total" -gt "$budget" ]; then
  log "over budget by $((total - budget)) bytes"
  exit 1
fi
