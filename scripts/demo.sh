#!/usr/bin/env bash
# One command for the whole system without Docker: real Kafka and ClickHouse, the api and
# the worker (all roles), then a key-drain attack that spendguard catches.
#
#   npm run demo          # start everything and run the attack demo
#   npm run demo:stop     # stop the api, the worker and the services
#
# The api and the worker keep running after the demo (logs in .services/demo/).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
demo_dir=.services/demo
mkdir -p "$demo_dir"

if [[ "${1:-}" == "stop" ]]; then
  for role in api worker; do
    if [[ -f "$demo_dir/$role.pid" ]] && kill -0 "$(cat "$demo_dir/$role.pid")" 2>/dev/null; then
      kill -TERM "$(cat "$demo_dir/$role.pid")" && echo "[demo] stopped $role"
    fi
    rm -f "$demo_dir/$role.pid"
  done
  bash scripts/services/down.sh
  exit 0
fi

[[ -d node_modules ]] || npm ci --no-audit --no-fund
bash scripts/services/up.sh
echo "[demo] building"
npm run build --silent

# Demo-only credentials, generated once and kept in .services/demo/env (git-ignored).
if [[ ! -f "$demo_dir/env" ]]; then
  cat >"$demo_dir/env" <<ENV
DEMO_GATEWAY_ID=gw-demo
DEMO_GATEWAY_TOKEN=gw_$(openssl rand -hex 16)
DEMO_ADMIN_TOKEN=adm_$(openssl rand -hex 16)
ENV
fi
set -a
# shellcheck source=/dev/null
source "$demo_dir/env"
INGEST_TOKENS="$DEMO_GATEWAY_ID:$DEMO_GATEWAY_TOKEN"
ADMIN_TOKENS="demo:$DEMO_ADMIN_TOKEN"
# Every demo run starts from nothing: its own database, topics and consumer groups.
run_id="demo_$(date -u +%Y%m%d_%H%M%S)"
CLICKHOUSE_DATABASE="spendguard_$run_id"
TOPIC_USAGE_EVENTS="$run_id.usage-events"
TOPIC_USAGE_EVENTS_DLQ="$run_id.usage-events-dlq"
TOPIC_FINDINGS="$run_id.findings"
TOPIC_KEY_STATUS="$run_id.key-status"
TOPIC_CONTROL_COMMANDS="$run_id.control-commands"
SINK_GROUP_ID="$run_id.sink"
DETECT_GROUP_ID="$run_id.detect"
ESCALATE_GROUP_ID="$run_id.escalate"
INCIDENT_QUIET_MINUTES=2
set +a

start() {
  local role=$1
  if [[ -f "$demo_dir/$role.pid" ]] && kill -0 "$(cat "$demo_dir/$role.pid")" 2>/dev/null; then
    kill -TERM "$(cat "$demo_dir/$role.pid")"; sleep 2
  fi
  nohup node "dist/apps/$role/src/main.js" >"$demo_dir/$role.log" 2>&1 &
  echo $! >"$demo_dir/$role.pid"
  echo "[demo] $role started (pid $!, log $demo_dir/$role.log)"
}
start worker
start api
for _ in $(seq 1 60); do
  curl -fs http://127.0.0.1:3000/readyz >/dev/null 2>&1 && break
  sleep 1
done
curl -fs http://127.0.0.1:3000/readyz >/dev/null || { echo "[demo] api not ready; see $demo_dir/api.log" >&2; exit 1; }
echo "[demo] api ready on http://127.0.0.1:3000 (OpenAPI: /docs)"

npx tsx scripts/demo/attack.ts
echo
echo "[demo] still running: api http://127.0.0.1:3000, worker; credentials in $demo_dir/env; data in ClickHouse database $CLICKHOUSE_DATABASE"
echo "[demo] stop everything with: npm run demo:stop"
