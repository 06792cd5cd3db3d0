#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for tests: initdb in a temporary directory, trust
# auth, listening only on 127.0.0.1 at a free port, unix socket inside the directory.
# When run as root the server runs as user nobody (initdb refuses root).
#
# Sourced:  . tests/pg.sh; pg_start || exit 1; ...; pg_stop
#           pg_start exports SHOMEI_TEST_PG_URL (postgres://shomei@127.0.0.1:PORT/shomei)
#           and sets PG_TMP, PG_PID. pg_stop stops the server by PID and removes PG_TMP.
# Run:      tests/pg.sh CMD [ARGS...]   runs CMD with SHOMEI_TEST_PG_URL set, then stops.
#           tests/pg.sh                 prints the URL and waits until interrupted.

pg_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  echo "pg.sh: initdb not found (install postgresql: scripts/deps)" >&2
  return 1
}

pg_as() { # runs a command as the server's user, inside PG_TMP
  if [ "$(id -u)" -eq 0 ]; then
    (cd "$PG_TMP" && setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@")
  else
    (cd "$PG_TMP" && "$@")
  fi
}

pg_start() {
  local bin port i
  bin=$(pg_bindir) || return 1
  PG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/shomei-pg.XXXXXX") || return 1
  [ "$(id -u)" -eq 0 ] && chown nobody:nogroup "$PG_TMP"
  chmod 700 "$PG_TMP"
  if ! pg_as "$bin/initdb" -D "$PG_TMP/data" -U shomei -A trust -E UTF8 --no-locale \
      --no-sync >"$PG_TMP/initdb.log" 2>&1; then
    echo "pg.sh: initdb failed:" >&2; sed 's/^/  /' "$PG_TMP/initdb.log" >&2
    rm -rf "$PG_TMP"; return 1
  fi
  for i in 1 2 3 4 5; do
    port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()')
    if pg_as "$bin/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_TMP -c fsync=off \
            -c synchronous_commit=off -c full_page_writes=off" start >/dev/null 2>&1; then
      break
    fi
    port=""
  done
  if [ -z "$port" ]; then
    echo "pg.sh: server did not start:" >&2; sed 's/^/  /' "$PG_TMP/server.log" >&2
    rm -rf "$PG_TMP"; return 1
  fi
  PG_PID=$(head -n 1 "$PG_TMP/data/postmaster.pid")
  PG_BIN=$bin
  if ! pg_as "$bin/createdb" -h 127.0.0.1 -p "$port" -U shomei shomei >>"$PG_TMP/server.log" 2>&1
  then
    echo "pg.sh: createdb failed" >&2; pg_stop; return 1
  fi
  export SHOMEI_TEST_PG_URL="postgres://shomei@127.0.0.1:$port/shomei"
  return 0
}

pg_stop() {
  [ -n "${PG_TMP:-}" ] || return 0
  if [ -n "${PG_PID:-}" ] && kill -0 "$PG_PID" 2>/dev/null; then
    pg_as "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
      kill "$PG_PID" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$PG_PID" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$PG_TMP"
  PG_TMP=""
  PG_PID=""
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -u
  pg_start || exit 1
  trap pg_stop EXIT
  trap 'exit 130' INT TERM
  if [ $# -gt 0 ]; then
    "$@"
    exit $?
  fi
  echo "$SHOMEI_TEST_PG_URL"
  echo "(server PID $PG_PID; press Ctrl-C to stop)" >&2
  while kill -0 "$PG_PID" 2>/dev/null; do sleep 1; done
fi
