#!/usr/bin/env bash
# Shared settings and helpers for scripts/services/{install,up,down}.sh. Sourced, not run.
#
# Everything lives under the git-ignored .services/ folder of the repo:
#   .services/kafka/{libs,config,data,logs,kafka.pid}
#   .services/clickhouse/{config.xml,users.xml,data,tmp,logs,clickhouse.pid,root}
# Ports can be moved with environment variables (defaults below).

SG_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SG_SERVICES="${SPENDGUARD_SERVICES_DIR:-$SG_ROOT/.services}"

KAFKA_VERSION="4.1.1" # keep equal to services/kafka/pom.xml and docker-compose.yml
KAFKA_HOST="127.0.0.1"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
KAFKA_DIR="$SG_SERVICES/kafka"
KAFKA_LIBS="$KAFKA_DIR/libs"
KAFKA_PID="$KAFKA_DIR/kafka.pid"
KAFKA_LOG="$KAFKA_DIR/logs/server.log"
KAFKA_OUT="$KAFKA_DIR/logs/kafka.out"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"

CLICKHOUSE_HOST="127.0.0.1"
CLICKHOUSE_HTTP_PORT="${CLICKHOUSE_HTTP_PORT:-8123}"
CLICKHOUSE_TCP_PORT="${CLICKHOUSE_TCP_PORT:-9000}"
CLICKHOUSE_DIR="$SG_SERVICES/clickhouse"
CLICKHOUSE_PID="$CLICKHOUSE_DIR/clickhouse.pid"
CLICKHOUSE_LOG="$CLICKHOUSE_DIR/logs/clickhouse-server.log"
CLICKHOUSE_ERR_LOG="$CLICKHOUSE_DIR/logs/clickhouse-server.err.log"
CLICKHOUSE_OUT="$CLICKHOUSE_DIR/logs/clickhouse.out"
# Debian bookworm's package; used from .services/clickhouse/root when the OS has none.
CLICKHOUSE_DEB_VERSION="18.16.1+ds-7.3+b2"
CLICKHOUSE_ROOT="$CLICKHOUSE_DIR/root"
CLICKHOUSE_START_TIMEOUT="${CLICKHOUSE_START_TIMEOUT:-60}"

log() { printf '[services] %s\n' "$*"; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

# pid_alive FILE -> 0 when FILE holds the pid of a live process
pid_alive() {
  local pid
  [[ -s "$1" ]] || return 1
  pid="$(tr -dc '0-9' <"$1")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

# port_open HOST PORT -> 0 when something accepts TCP connections there
port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# Paths of the ClickHouse binaries: the OS package, else the unpacked bookworm debs
# (SPENDGUARD_CLICKHOUSE_FROM_DEBS=1 prefers the unpacked ones, to test that path).
clickhouse_from_debs() {
  [[ "${SPENDGUARD_CLICKHOUSE_FROM_DEBS:-0}" == 1 || ! -x /usr/sbin/clickhouse-server ]]
}
clickhouse_server_bin() {
  local bin=/usr/sbin/clickhouse-server
  clickhouse_from_debs && bin="$CLICKHOUSE_ROOT/usr/sbin/clickhouse-server"
  [[ -x "$bin" ]] && echo "$bin"
}
clickhouse_client_bin() {
  local bin=/usr/bin/clickhouse-client
  clickhouse_from_debs && bin="$CLICKHOUSE_ROOT/usr/bin/clickhouse-client"
  [[ -x "$bin" ]] && echo "$bin"
}
# LD_LIBRARY_PATH needed by the unpacked binaries (empty for the OS package)
clickhouse_ld_path() {
  if clickhouse_from_debs; then echo "$CLICKHOUSE_ROOT/usr/lib/x86_64-linux-gnu:$CLICKHOUSE_ROOT/lib/x86_64-linux-gnu"; fi
}

clickhouse_ping() {
  [[ "$(curl -fsS --max-time 2 "http://$CLICKHOUSE_HOST:$CLICKHOUSE_HTTP_PORT/ping" 2>/dev/null)" == "Ok." ]]
}

java_major() {
  command -v java >/dev/null 2>&1 || { echo 0; return; }
  java -version 2>&1 | awk -F'"' '/version/ { split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit }'
}

# Fingerprint of the pom: libs are re-resolved when it changes.
kafka_pom_stamp() { sha256sum "$SG_ROOT/services/kafka/pom.xml" | cut -d' ' -f1; }
kafka_libs_ready() {
  [[ -f "$KAFKA_LIBS/.stamp" && "$(cat "$KAFKA_LIBS/.stamp")" == "$(kafka_pom_stamp)" ]]
}
