#!/usr/bin/env bash
# Installs what the local Kafka and ClickHouse need, without Docker. Idempotent: a warm run
# only checks and returns in about a second.
#
#   bash scripts/services/install.sh
#
# - Java 17+ (Kafka 4.x brokers need it), Maven, curl: Debian packages.
# - ClickHouse: Debian's clickhouse-server/clickhouse-client 18.16 (bookworm). On a Debian
#   release without them, the bookworm .debs (pinned version below) and the libraries they
#   link are fetched with apt-get download from bookworm and unpacked with dpkg-deb -x into
#   .services/clickhouse/root/. Fails loudly; never skips.
#   (SPENDGUARD_CLICKHOUSE_FROM_DEBS=1 forces that path, to test it on bookworm.)
# - Kafka 4.1.1 jars from Maven Central via services/kafka/pom.xml into .services/kafka/libs
#   (maven output: .services/kafka/logs/maven.log; SPENDGUARD_MAVEN_ARGS adds maven flags,
#   e.g. -Dmaven.repo.local=/tmp/m2 to time a cold resolve).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export DEBIAN_FRONTEND=noninteractive
APT_UPDATED=0
apt_update_once() {
  if [[ "$APT_UPDATED" == 0 ]]; then
    log "apt-get update"
    apt-get update -qq || die "apt-get update failed"
    APT_UPDATED=1
  fi
}
apt_install() {
  apt_update_once
  log "apt-get install $*"
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null || die "apt-get install $* failed"
}

[[ "$(uname -m)" == "x86_64" ]] || die "only x86_64 is supported (Debian's ClickHouse 18.16 is amd64-only here)"
command -v apt-get >/dev/null || die "apt-get not found: this script expects Debian"
if [[ "$(id -u)" != 0 ]]; then
  command -v sudo >/dev/null || die "run as root (apt-get install needs it)"
  apt-get() { sudo apt-get "$@"; }
fi

# ---- base tools ----------------------------------------------------------------------
missing=()
command -v curl >/dev/null || missing+=(curl ca-certificates)
command -v mvn >/dev/null || missing+=(maven)
if (( "$(java_major)" < 17 )); then
  # bookworm: openjdk-17; newer releases: their default JRE (21+), which Kafka 4.1 supports
  apt_update_once
  if apt-cache show openjdk-17-jre-headless >/dev/null 2>&1; then missing+=(openjdk-17-jre-headless)
  else missing+=(default-jre-headless); fi
fi
if (( ${#missing[@]} )); then apt_install "${missing[@]}"; fi
(( "$(java_major)" >= 17 )) || die "java 17+ is required for Kafka 4.x, found: $(java -version 2>&1 | head -1)"

# ---- ClickHouse ----------------------------------------------------------------------
# Libraries clickhouse-{common,server,client} 18.16 link that a newer Debian may not have
# (package names as in bookworm; libc6/libgcc-s1/libstdc++6/zlib1g come from the host).
CLICKHOUSE_BOOKWORM_LIBS=(
  libboost-filesystem1.74.0 libboost-program-options1.74.0 libcapnp-0.9.2 libcctz2 libcpuinfo0
  libdouble-conversion3 libexpat1 libfarmhash0 libicu72 libjemalloc2 libltdl7 liblz4-1
  libmariadb3 libmetrohash1 libodbc2 libpcre2-8-0 libpcre3 libpococrypto80 libpocodata80
  libpocodataodbc80 libpocofoundation80 libpocojson80 libpocomongodb80 libpoconet80
  libpoconetssl80 libpocoutil80 libpocoxml80 librdkafka1 libre2-9 libreadline8 libsasl2-2
  libssl3 libtinfo6 libzstd1
)

install_clickhouse_from_bookworm_debs() {
  local apt_dir="$CLICKHOUSE_DIR/apt" debs="$CLICKHOUSE_DIR/debs" v="$CLICKHOUSE_DEB_VERSION"
  log "ClickHouse: fetching Debian bookworm .debs ($v) into $CLICKHOUSE_ROOT"
  rm -rf "$CLICKHOUSE_ROOT" "$debs"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$debs" "$CLICKHOUSE_ROOT"
  cat >"$apt_dir/sources.list" <<'LIST'
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
LIST
  local opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o "APT::Architecture=amd64"
    -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
  apt-get "${opts[@]}" update -qq || die "apt-get update of the private bookworm index failed (see above)"
  (cd "$debs" && apt-get "${opts[@]}" download \
    "clickhouse-common=$v" "clickhouse-server=$v" "clickhouse-client=$v" "${CLICKHOUSE_BOOKWORM_LIBS[@]}") \
    || die "apt-get download of the bookworm ClickHouse packages failed (see above)"
  local deb
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$CLICKHOUSE_ROOT"; done
  rm -rf "$debs"
  local bin="$CLICKHOUSE_ROOT/usr/sbin/clickhouse-server" missing_libs
  [[ -x "$bin" ]] || die "unpacked debs hold no $bin"
  missing_libs="$(LD_LIBRARY_PATH="$CLICKHOUSE_ROOT/usr/lib/x86_64-linux-gnu:$CLICKHOUSE_ROOT/lib/x86_64-linux-gnu" \
    ldd "$bin" "$CLICKHOUSE_ROOT/usr/bin/clickhouse-client" | grep 'not found' || true)"
  [[ -z "$missing_libs" ]] || die "ClickHouse from bookworm debs still misses libraries:
$missing_libs"
  log "ClickHouse: unpacked into $CLICKHOUSE_ROOT"
}

if [[ "${SPENDGUARD_CLICKHOUSE_FROM_DEBS:-0}" == 1 ]]; then
  if ! clickhouse_server_bin >/dev/null || ! clickhouse_client_bin >/dev/null; then install_clickhouse_from_bookworm_debs; fi
elif clickhouse_server_bin >/dev/null && clickhouse_client_bin >/dev/null; then
  :
else
  apt_update_once
  if [[ -n "$(apt-cache policy clickhouse-server 2>/dev/null | awk '/Candidate:/ && $2 != "(none)" { print $2 }')" ]]; then
    apt_install clickhouse-server clickhouse-client
  else
    log "ClickHouse: this Debian release ($(. /etc/os-release && echo "${VERSION_CODENAME:-?}")) has no clickhouse-server package"
    install_clickhouse_from_bookworm_debs
  fi
fi
clickhouse_server_bin >/dev/null || die "clickhouse-server is still missing after install"

# ---- Kafka jars ----------------------------------------------------------------------
if ! kafka_libs_ready; then
  log "Kafka $KAFKA_VERSION: resolving jars from Maven Central into $KAFKA_LIBS"
  rm -rf "$KAFKA_LIBS"
  mkdir -p "$KAFKA_LIBS"
  mkdir -p "$KAFKA_DIR/logs"
  # shellcheck disable=SC2086 # SPENDGUARD_MAVEN_ARGS is a list of extra maven flags
  if ! mvn -B -Dstyle.color=never ${SPENDGUARD_MAVEN_ARGS:-} -f "$SG_ROOT/services/kafka/pom.xml" \
    dependency:copy-dependencies -DoutputDirectory="$KAFKA_LIBS" -DincludeScope=runtime \
    >"$KAFKA_DIR/logs/maven.log" 2>&1; then
    tail -n 40 "$KAFKA_DIR/logs/maven.log" >&2
    die "maven could not resolve services/kafka/pom.xml; see $KAFKA_DIR/logs/maven.log"
  fi
  ls "$KAFKA_LIBS"/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null || die "kafka_2.13-$KAFKA_VERSION.jar missing in $KAFKA_LIBS"
  kafka_pom_stamp >"$KAFKA_LIBS/.stamp"
fi

log "install: ok (java $(java_major), $(clickhouse_server_bin), Kafka $KAFKA_VERSION jars in $KAFKA_LIBS)"
