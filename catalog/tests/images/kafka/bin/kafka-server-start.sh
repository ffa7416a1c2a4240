#!/bin/sh
# Stand-in for the apache/kafka image's /opt/kafka/bin/kafka-server-start.sh, written from its
# contract (apache/kafka bin/kafka-server-start.sh): `kafka-server-start.sh server.properties`
# runs kafka.Kafka with that file, a 1 GiB heap unless KAFKA_HEAP_OPTS says otherwise, and the
# log4j2 configuration beside the scripts (../config) unless KAFKA_LOG4J_OPTS names one.
set -eu
if [ $# -lt 1 ]; then
  echo "USAGE: $0 server.properties [--override property=value]*" >&2
  exit 1
fi
base="$(cd "$(dirname "$0")" && pwd)"
export KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G}"
export KAFKA_LOG4J_OPTS="${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=$base/../config/log4j2.yaml}"
exec "$base/kafka-run-class.sh" kafka.Kafka "$@"
