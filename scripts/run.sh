#!/usr/bin/env bash
# Runs Evident on this machine: installs what is missing, builds the dashboard and the worker, applies
# the D1 migrations and loads the IP-to-country ranges into the local database, loads demo data into an
# empty database, and serves the dashboard and the API on http://127.0.0.1:8787 until Ctrl-C. A second
# run skips installs, unchanged builds and a dataset already loaded.
#
# Environment: EVIDENT_PORT (default 8787), EVIDENT_DEMO_EVENTS (default 5000).
set -euo pipefail
source "$(dirname "$0")/lib/setup.sh"
cd "$EVIDENT_ROOT"

port=${EVIDENT_PORT:-8787}
demo_events=${EVIDENT_DEMO_EVENTS:-5000}

ensure_cargo_tools
ensure_npm_packages

# Local keys. In production these are secrets (`wrangler secret put`); see README.
if [ ! -f .dev.vars ]; then
  printf 'INGEST_KEY=evd_demo_ingest_key\nREAD_KEY=evd_demo_read_key\n' > .dev.vars
fi
grep -q '^ADMIN_KEY=' .dev.vars || printf 'ADMIN_KEY=evd_demo_admin_key\n' >> .dev.vars
ingest_key=$(sed -n 's/^INGEST_KEY=//p' .dev.vars)
read_key=$(sed -n 's/^READ_KEY=//p' .dev.vars)
admin_key=$(sed -n 's/^ADMIN_KEY=//p' .dev.vars)

build_app
build_worker dev
cargo build --quiet --release -p evident-tests --bin evident-demo --bin evident-demo-people
apply_migrations
load_geo

log "starting wrangler dev on 127.0.0.1:$port"
wrangler dev --ip 127.0.0.1 --port "$port" --show-interactive-dev-session=false &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT INT TERM

for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/api/v1/health" >/dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || { echo "wrangler dev exited" >&2; exit 1; }
  sleep 0.5
done

if curl -fsS -H "authorization: Bearer $read_key" "http://127.0.0.1:$port/api/v1/events?limit=1" | grep -q '"events":\[\]'; then
  log "first run: loading $demo_events demo events through the ingest API"
  "$CARGO_TARGET_DIR/release/evident-demo" --url "http://127.0.0.1:$port" --key "$ingest_key" --events "$demo_events"
fi

# One person per role, invited and signed up on the first run; their sign-ins are kept beside the state.
sign_ins=$("$CARGO_TARGET_DIR/release/evident-demo-people" --url "http://127.0.0.1:$port" \
  --admin-key "$admin_key" --file .wrangler/evident-demo-sign-ins.txt)

if curl -fsS -H "authorization: Bearer $read_key" "http://127.0.0.1:$port/api/v1/verify?to_seq=1" | grep -qv '"unsealed":0'; then
  log "this local database holds events from before the hash chain; verify reports them as unsealed."
  log "to start afresh: stop, remove .wrangler/state, and run this again"
fi

cat <<BANNER

  Evident is running.
    Dashboard:  http://127.0.0.1:$port/
    API:        http://127.0.0.1:$port/api/v1/
    Read key    (the dashboard also takes it):   $read_key
    Ingest key  (POST /api/v1/events):           $ingest_key
    Admin key   (the deployment's root key):     $admin_key

$sign_ins

  Press Ctrl-C to stop.
BANNER
wait $server
