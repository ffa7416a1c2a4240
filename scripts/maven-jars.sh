#!/usr/bin/env bash
# Fetches the Maven Central jars the tests run with, once per version (a later run reuses the
# cache), and prints the folder that holds them:
#   - logback-classic and logback-core 1.3.15 and slf4j-api 2.0.13, the logging of ZooKeeper 3.9.5
#     (the versions its parent POM pins; 3.9.6's parent POM is not served here): catalog/tests/zookeeper_logging.rs loads the rendered
#     logback.xml with them;
#   - kafka-4.4.0/: Kafka 4.4.0 (kafka_2.13 and kafka-tools, with their runtime dependencies, and
#     log4j-slf4j-impl, the logging binding the Kafka distribution ships), what the pinned
#     apache/kafka:4.4.0 image runs: catalog/tests/kafka_kraft.rs runs a KRaft cluster with them.
set -euo pipefail
cache="${FIRECAMP_MAVEN_CACHE:-/var/tmp/firecamp-maven}"
mkdir -p "$cache"
for artifact in ch.qos.logback:logback-classic:1.3.15 ch.qos.logback:logback-core:1.3.15 org.slf4j:slf4j-api:2.0.13; do
  IFS=: read -r _ name version <<<"$artifact"
  [ -s "$cache/$name-$version.jar" ] && continue
  mvn -q -B dependency:copy -Dartifact="$artifact" -DoutputDirectory="$cache" >&2
done

kafka=4.4.0
if [ ! -s "$cache/kafka-$kafka/.complete" ]; then
  pom_dir="$(mktemp -d)"
  trap 'rm -rf "$pom_dir"' EXIT
  cat >"$pom_dir/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.firecamp.test</groupId>
  <artifactId>kafka-jars</artifactId>
  <version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$kafka</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$kafka</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>2.25.5</version></dependency>
  </dependencies>
</project>
POM
  rm -rf "$cache/kafka-$kafka"
  mvn -q -B -f "$pom_dir/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$cache/kafka-$kafka" >&2
  echo "$kafka" >"$cache/kafka-$kafka/.complete"
fi
echo "$cache"
