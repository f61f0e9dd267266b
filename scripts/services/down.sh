#!/usr/bin/env bash
# Stops the services started by scripts/services/up.sh. Idempotent.
#
#   bash scripts/services/down.sh              # both (npm run services:down)
#   bash scripts/services/down.sh kafka        # only Kafka
#   bash scripts/services/down.sh clickhouse   # only ClickHouse (data kept; up.sh clickhouse restarts it)
#
# SIGTERM first (clean shutdown), SIGKILL after a timeout. Data under .services/ is kept;
# delete .services/kafka/data or .services/clickhouse/data for a blank slate.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

target="${1:-all}"
case "$target" in all | kafka | clickhouse) ;; *) die "usage: down.sh [all|kafka|clickhouse]" ;; esac

# stop NAME PIDFILE TIMEOUT_SECONDS
stop() {
  local name="$1" pidfile="$2" timeout="$3" pid
  if ! pid_alive "$pidfile"; then
    rm -f "$pidfile"
    log "$name: not running"
    return 0
  fi
  pid="$(tr -dc '0-9' <"$pidfile")"
  log "$name: stopping (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + timeout))
  while kill -0 "$pid" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name: still running after ${timeout}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$pidfile"
  log "$name: stopped"
}

if [[ "$target" != kafka ]]; then stop ClickHouse "$CLICKHOUSE_PID" 30; fi
if [[ "$target" != clickhouse ]]; then stop Kafka "$KAFKA_PID" 60; fi
