#!/bin/sh
# Stand-in for the apache/kafka image's /opt/kafka/bin/kafka-run-class.sh, written from its
# contract (apache/kafka bin/kafka-run-class.sh): runs the Java class "$1" with the rest as its
# arguments, the JVM flags from KAFKA_HEAP_OPTS (else -Xmx256M), KAFKA_JVM_PERFORMANCE_OPTS,
# KAFKA_JMX_OPTS (with -Dcom.sun.management.jmxremote.port and .rmi.port added when JMX_PORT is
# set, as upstream does for every command), KAFKA_LOG4J_OPTS and KAFKA_OPTS. The classpath is the
# Maven Central jars of the pinned Kafka release (STANDIN_CLASSPATH, scripts/maven-jars.sh) in
# place of the image's /opt/kafka/libs.
set -eu
main="$1"
shift
: "${STANDIN_CLASSPATH:?the Kafka jars (scripts/maven-jars.sh)}"
jmx="${KAFKA_JMX_OPTS:--Dcom.sun.management.jmxremote -Dcom.sun.management.jmxremote.authenticate=false -Dcom.sun.management.jmxremote.ssl=false}"
if [ -n "${JMX_PORT:-}" ]; then
  jmx="$jmx -Dcom.sun.management.jmxremote.port=$JMX_PORT"
  case "$jmx" in
    *-Dcom.sun.management.jmxremote.rmi.port=*) ;;
    *) jmx="$jmx -Dcom.sun.management.jmxremote.rmi.port=$JMX_PORT" ;;
  esac
fi
# shellcheck disable=SC2086 # the option variables hold several words, as upstream's do
exec java ${KAFKA_HEAP_OPTS:--Xmx256M} ${KAFKA_JVM_PERFORMANCE_OPTS:-} $jmx ${KAFKA_LOG4J_OPTS:-} \
  ${KAFKA_OPTS:-} -cp "$STANDIN_CLASSPATH" "$main" "$@"
