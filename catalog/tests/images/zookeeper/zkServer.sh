#!/bin/sh
# A stand-in for the zookeeper image's `zkServer.sh --config <dir> start-foreground`, the only
# form firecamp's start.sh uses, written from the contract of upstream's bin/zkServer.sh and
# bin/zkEnv.sh (apache/zookeeper, release 3.9): the config folder comes first on the classpath,
# the config is <dir>/zoo.cfg, SERVER_JVMFLAGS come before the main class, and JMX is on
# (`-Dcom.sun.management.jmxremote`, not local-only) unless JMXDISABLE says otherwise. The jars
# are Debian's ZooKeeper (/usr/share/java/zookeeper.jar, whose manifest lists its dependencies)
# after STANDIN_CLASSPATH (the logging jars the image's release ships).
set -eu
[ "$1" = --config ] || { echo "usage: zkServer.sh --config <dir> start-foreground" >&2; exit 2; }
dir="$2"
[ "$3" = start-foreground ] || { echo "only start-foreground stands in here" >&2; exit 2; }
main=org.apache.zookeeper.server.quorum.QuorumPeerMain
if [ "${JMXDISABLE:-false}" = false ]; then
  main="-Dcom.sun.management.jmxremote -Dcom.sun.management.jmxremote.local.only=false $main"
fi
# shellcheck disable=SC2086 # word splitting of the flags is upstream's.
exec java "-Dzookeeper.log.dir=." -XX:+HeapDumpOnOutOfMemoryError \
  -cp "$dir:${STANDIN_CLASSPATH:-}:/usr/share/java/zookeeper.jar" ${SERVER_JVMFLAGS:-} ${JVMFLAGS:-} $main "$dir/zoo.cfg"
