#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL 15 on loopback for tests and local use.
#   scripts/postgres.sh start   -> prints the SQLAlchemy URL
#   scripts/postgres.sh stop
# Installs the Debian server package when it is missing. The server refuses to run as
# root, so it runs as the `postgres` user with its data and socket under $PGROOT.
set -euo pipefail
PGROOT="${HANDSOFF_PGROOT:-/tmp/handsoff-pg}"
PGPORT="${HANDSOFF_PGPORT:-55432}"
PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
URL="postgresql+psycopg://postgres:postgres@127.0.0.1:${PGPORT}/handsoff"

as_postgres() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
  start)
    if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/pg_ctl" ]; then
      echo "installing postgresql (Debian package)" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
      PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    fi
    if [ -f "$PGROOT/data/postmaster.pid" ] && as_postgres "$PGBIN/pg_ctl" -D "$PGROOT/data" status >/dev/null 2>&1; then
      echo "$URL"; exit 0
    fi
    rm -rf "$PGROOT"; mkdir -p "$PGROOT/run"
    if [ "$(id -u)" = "0" ]; then chown -R postgres:postgres "$PGROOT"; fi
    echo postgres > "$PGROOT/pw.tmp"; [ "$(id -u)" = "0" ] && chown postgres "$PGROOT/pw.tmp"
    as_postgres "$PGBIN/initdb" -D "$PGROOT/data" -U postgres --pwfile="$PGROOT/pw.tmp" \
      --auth=scram-sha-256 -E UTF8 >/dev/null
    rm -f "$PGROOT/pw.tmp"
    as_postgres "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/server.log" -w -t 60 \
      -o "-p $PGPORT -k $PGROOT/run -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off" start >&2
    PGPASSWORD=postgres "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -qtc "CREATE DATABASE handsoff" >&2
    echo "$URL"
    ;;
  stop)
    if [ -n "$PGBIN" ] && [ -d "$PGROOT/data" ]; then
      as_postgres "$PGBIN/pg_ctl" -D "$PGROOT/data" -m fast stop >&2 || true
    fi
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
