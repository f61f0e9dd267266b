#!/usr/bin/env bash
# Runs a class from the Kafka jars in .services/kafka/libs (what Kafka's own bin/kafka-run-class.sh
# does), e.g. for benchmarks and debugging against the local broker (127.0.0.1:9092):
#
#   bash scripts/services/kafka-run-class.sh org.apache.kafka.tools.ProducerPerformance \
#     --topic perf --num-records 1000000 --record-size 200 --throughput -1 \
#     --producer-props bootstrap.servers=127.0.0.1:9092
#   bash scripts/services/kafka-run-class.sh org.apache.kafka.tools.ConsumerPerformance \
#     --bootstrap-server 127.0.0.1:9092 --topic perf --messages 1000000
#   bash scripts/services/kafka-run-class.sh org.apache.kafka.tools.TopicCommand \
#     --bootstrap-server 127.0.0.1:9092 --list
#
# Tool logs go to stderr at WARN. KAFKA_TOOL_HEAP_OPTS overrides the heap (default -Xmx512m).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

(( $# >= 1 )) || die "usage: kafka-run-class.sh <main class> [args...]"
kafka_libs_ready || bash "$SG_ROOT/scripts/services/install.sh" >&2
mkdir -p "$KAFKA_DIR/config"
cat >"$KAFKA_DIR/config/tools-log4j2.properties" <<'PROPS'
status = warn
appender.stderr.type = Console
appender.stderr.name = STDERR
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stderr.ref = STDERR
PROPS
# shellcheck disable=SC2086
exec java ${KAFKA_TOOL_HEAP_OPTS:--Xmx512m} -Djava.awt.headless=true \
  -Dlog4j2.configurationFile="$KAFKA_DIR/config/tools-log4j2.properties" \
  -cp "$KAFKA_LIBS/*" "$@"
