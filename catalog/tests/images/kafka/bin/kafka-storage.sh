#!/bin/sh
# Stand-in for the apache/kafka image's /opt/kafka/bin/kafka-storage.sh, written from its
# contract (apache/kafka bin/kafka-storage.sh): runs kafka.tools.StorageTool with its arguments.
set -eu
exec "$(dirname "$0")/kafka-run-class.sh" kafka.tools.StorageTool "$@"
