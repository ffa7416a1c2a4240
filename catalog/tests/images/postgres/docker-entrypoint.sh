#!/bin/bash
# A stand-in for the postgres image's docker-entrypoint.sh, written from the contract of
# docker-library/postgres 16/bookworm/docker-entrypoint.sh: for `postgres ...` on an empty $PGDATA
# it runs initdb (superuser POSTGRES_USER, default postgres, with POSTGRES_PASSWORD; the WAL in
# POSTGRES_INITDB_WALDIR when set; the harness gives uid 999 its passwd entry), appends
# `host all all all <password_encryption>` to $PGDATA/pg_hba.conf, starts a socket-only server
# with the same arguments, sources (or runs, when executable) /docker-entrypoint-initdb.d/*.sh,
# runs its *.sql, stops the server, then execs the command. A database that exists is left as it is.
# The image's own paths (/docker-entrypoint-initdb.d, the socket folder /var/run/postgresql) are
# under the pod's working folder here (catalog/tests/common/pods.rs).
set -Eeo pipefail
if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi
[ "$1" = postgres ] || exec "$@"
: "${POSTGRES_USER:=postgres}"
initdb_d="$PWD/docker-entrypoint-initdb.d"
export PGHOST="$PWD/var/run/postgresql"
mkdir -p "$PGDATA"
chmod 00700 "$PGDATA" || :
if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
  mkdir -p "$POSTGRES_INITDB_WALDIR"
  chmod 700 "$POSTGRES_INITDB_WALDIR"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "Error: Database is uninitialized and superuser password is not specified." >&2
    exit 1
  fi
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    ${POSTGRES_INITDB_WALDIR:+--waldir "$POSTGRES_INITDB_WALDIR"}
  auth="$(postgres -C password_encryption "${@:2}")"
  printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"
  export PGPASSWORD="$POSTGRES_PASSWORD"
  PGUSER="$POSTGRES_USER" pg_ctl -D "$PGDATA" \
    -o "$(printf '%q ' "${@:2}" -c listen_addresses='' -c unix_socket_directories="$PGHOST" -p 5432)" -w start
  for f in "$initdb_d"/*; do
    case "$f" in
      *.sh) if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
      *.sql) psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc -f "$f" ;;
    esac
  done
  PGUSER="$POSTGRES_USER" pg_ctl -D "$PGDATA" -m fast -w stop
  unset PGPASSWORD
fi
exec "$@"
