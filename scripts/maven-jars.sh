#!/usr/bin/env bash
# Fetches the Maven Central jars the tests run with, once per version (a later run reuses the
# cache), and prints the folder that holds them:
#   - logback-classic and logback-core 1.2.13 and slf4j-api 1.7.30, the logging of ZooKeeper 3.9.3
#     (the versions its parent POM pins): catalog/tests/zookeeper_logging.rs loads the rendered
#     logback.xml with them.
set -euo pipefail
cache="${FIRECAMP_MAVEN_CACHE:-/var/tmp/firecamp-maven}"
mkdir -p "$cache"
for artifact in ch.qos.logback:logback-classic:1.2.13 ch.qos.logback:logback-core:1.2.13 org.slf4j:slf4j-api:1.7.30; do
  IFS=: read -r _ name version <<<"$artifact"
  [ -s "$cache/$name-$version.jar" ] && continue
  mvn -q -B dependency:copy -Dartifact="$artifact" -DoutputDirectory="$cache" >&2
done
echo "$cache"
