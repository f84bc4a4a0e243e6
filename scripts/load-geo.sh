#!/usr/bin/env bash
# Loads the IP-to-country ranges of the npm package @ip-location-db/geo-whois-asn-country (the version
# in package.json) into the D1 tables of migrations/0002_geo.sql, replacing the previous dataset in one
# atomic file. Skips when geo_meta already records the installed version, so a second run costs one query.
#
#   scripts/load-geo.sh [--local] [--persist-to DIR]   the local database (default; what run.sh does)
#   scripts/load-geo.sh --remote                       the deployed database
#
# Expects the migrations applied. Refresh: bump the package version in package.json, `npm install`,
# rerun (README, "Geo data").
set -euo pipefail
source "$(dirname "$0")/lib/env.sh"
cd "$EVIDENT_ROOT"

target=(--local)
persist=()
while [ $# -gt 0 ]; do
  case $1 in
    --local) target=(--local) ;;
    --remote) target=(--remote) ;;
    --persist-to) persist=(--persist-to "$2"); shift ;;
    *) echo "usage: $0 [--local [--persist-to DIR] | --remote]" >&2; exit 2 ;;
  esac
  shift
done
if [ "${target[0]}" = --remote ] && [ ${#persist[@]} -gt 0 ]; then
  echo "--persist-to only applies to --local" >&2
  exit 2
fi

wanted=$(node scripts/geo-to-sql.mjs --version)
loaded=$(wrangler d1 execute DB "${target[@]}" "${persist[@]}" --json \
  --command "SELECT version FROM geo_meta WHERE id = 1" 2>/dev/null |
  node -e 'let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
    try { console.log(JSON.parse(s)[0].results[0]?.version ?? ""); } catch { console.log(""); } })')
if [ "$loaded" = "$wanted" ]; then
  exit 0
fi

log "loading IP-to-country ranges $wanted into D1 (${target[0]#--}; was: ${loaded:-none})"
sql=$(mktemp --suffix=.sql)
trap 'rm -f "$sql"' EXIT
node scripts/geo-to-sql.mjs --out "$sql"
wrangler d1 execute DB "${target[@]}" "${persist[@]}" --file "$sql" --yes >/dev/null
