#!/usr/bin/env bash
# A throwaway PostgreSQL cluster from Debian's packages (installed when missing; machines run as root).
#   pg.sh start DATA_DIR PORT [--fresh]   initdb if needed, start on 127.0.0.1:PORT, wait until ready
#   pg.sh stop DATA_DIR [--immediate]   --immediate: pg_ctl stop -m immediate (a crash: no
#                                         checkpoint, recovery from the WAL on the next start)
# HOMEBED_PG_OPTS: extra server options appended last (they win), e.g. "-c synchronous_commit=on"
# for the fault tests that crash the server and must not lose an acknowledged commit.
# Prints nothing on stdout but the DSN on start: postgresql://postgres@127.0.0.1:PORT/postgres
set -euo pipefail

find_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    if [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  return 1
}

ensure_installed() {
  if find_bin >/dev/null; then return 0; fi
  if [ "$(id -u)" != "0" ]; then
    echo "ERROR: PostgreSQL server binaries are missing; install the 'postgresql' package or set HOMEBED_TEST_POSTGRES_DSN to an existing server." >&2
    exit 3
  fi
  echo "postgres: installing PostgreSQL from Debian's packages ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  # The package may start its own cluster on 5432; ours are separate, so that one is left alone.
}

# As root the server's tools run as the postgres user, from / : they check their working
# directory, and a clone in a private folder (mode 700, e.g. a mktemp -d) is not theirs to enter
# ("could not change directory to ...: Permission denied", and pg_ctl fails).
as_owner() {
  if [ "$(id -u)" = "0" ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

start() {
  local data="$1" port="$2" fresh="${3:-}"
  ensure_installed
  local bin; bin="$(find_bin)"
  if [ "$(id -u)" = "0" ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  fi
  if [ -f "$data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    echo "postgres: already running on 127.0.0.1:$port" >&2
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    return 0
  fi
  if [ "$fresh" = "--fresh" ]; then rm -rf "$data"; fi
  mkdir -p "$data"
  if [ "$(id -u)" = "0" ]; then chown postgres "$data"; chmod 700 "$data"; fi
  if [ ! -f "$data/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  # Tuned for throwaway test data: durability off, it is recreated every run.
  as_owner "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start -o \
    "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 ${HOMEBED_PG_OPTS:-}" >&2
  echo "postgresql://postgres@127.0.0.1:$port/postgres"
}

stop() {
  local data="$1" mode=fast
  if [ "${2:-}" = "--immediate" ]; then mode=immediate; fi
  local bin; bin="$(find_bin)" || return 0
  [ -f "$data/postmaster.pid" ] || return 0
  as_owner "$bin/pg_ctl" -D "$data" -m "$mode" -w stop >&2 || true
}

cmd="${1:-}"; shift || true
case "$cmd" in
  start) start "$@" ;;
  stop) stop "$@" ;;
  *) echo "usage: pg.sh start DATA_DIR PORT [--fresh] | stop DATA_DIR [--immediate]" >&2; exit 2 ;;
esac
