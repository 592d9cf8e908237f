#!/usr/bin/env bash
# A throwaway PostgreSQL server for the shared tier's tests, benchmarks and demo.
#
#   Scripts/throwaway-postgres.sh run COMMAND [ARG...]
#
# starts a server in a fresh temporary folder, on 127.0.0.1 and a free port, runs COMMAND
# with MEMO_TEST_POSTGRES_HOST, _PORT, _USER, _DATA and _BIN in its environment, stops the
# server and removes the folder when COMMAND ends (pass or fail, or interrupted), and
# exits with COMMAND's status.
#
# As root it installs Debian's `postgresql` package when missing, and runs initdb and
# pg_ctl as the `postgres` user (PostgreSQL refuses to run as root), in a folder that user
# owns. Where no server can be started, it says so in one line and runs COMMAND without
# the variables: the tier's tests then say they are skipped.
set -uo pipefail

if [ "${1:-}" != "run" ] || [ $# -lt 2 ]; then
  echo "usage: $0 run COMMAND [ARG...]" >&2
  exit 64
fi
shift

say() { echo "throwaway-postgres: $*" >&2; }

find_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

BIN=$(find_bin)
if [ -z "$BIN" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  say "installing postgresql with apt-get"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } \
    >/dev/null 2>&1 || say "apt-get install postgresql failed"
  BIN=$(find_bin)
fi
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  say "no PostgreSQL server here (install Debian's postgresql): the shared tier's tests are skipped"
  exec "$@"
fi

# initdb and pg_ctl refuse root: run them as `postgres` then, as ourselves otherwise.
if [ "$(id -u)" = "0" ]; then
  as_server() { runuser -u postgres -- "$@"; }
else
  as_server() { "$@"; }
fi

ROOT=$(mktemp -d /tmp/memo-postgres.XXXXXX)
chmod 755 "$ROOT"
[ "$(id -u)" = "0" ] && chown postgres "$ROOT"
DATA="$ROOT/data"

# A free port: the kernel's choice for a socket bound to port 0.
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)))

stop() {
  as_server "$BIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1
  rm -rf "$ROOT"
}
trap stop EXIT
trap 'exit 130' INT TERM

if ! as_server "$BIN/initdb" -D "$DATA" -U postgres -A trust >"$ROOT/initdb.log" 2>&1; then
  say "initdb failed ($(tail -1 "$ROOT/initdb.log")): the shared tier's tests are skipped"
  "$@"
  exit $?
fi
if ! as_server "$BIN/pg_ctl" -D "$DATA" -l "$ROOT/server.log" -w -t 30 \
    -o "-p $PORT -k $ROOT -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" \
    start >/dev/null 2>&1; then
  say "the server did not start ($(tail -1 "$ROOT/server.log" 2>/dev/null)): the shared tier's tests are skipped"
  "$@"
  exit $?
fi
say "PostgreSQL ($(basename "$(dirname "$BIN")")) on 127.0.0.1:$PORT, data in $DATA"

MEMO_TEST_POSTGRES_HOST=127.0.0.1 MEMO_TEST_POSTGRES_PORT=$PORT MEMO_TEST_POSTGRES_USER=postgres \
  MEMO_TEST_POSTGRES_DATA=$DATA MEMO_TEST_POSTGRES_BIN=$BIN MEMO_TEST_POSTGRES_ROOT=$ROOT "$@"
exit $?
