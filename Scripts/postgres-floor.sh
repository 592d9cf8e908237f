#!/bin/bash
# The floor under scenario 12 of make bench: what PostgreSQL itself costs to return an
# 8 KB row by primary key on loopback, measured by pgbench (C, libpq, one client), with no
# client library or cache of ours. Run beside a throwaway server:
#   Scripts/throwaway-postgres.sh run Scripts/postgres-floor.sh
set -euo pipefail
export PGHOST=$MEMO_TEST_POSTGRES_HOST PGPORT=$MEMO_TEST_POSTGRES_PORT PGUSER=${MEMO_TEST_POSTGRES_USER:-postgres}
database=floor_$RANDOM
psql -q -d postgres -c "CREATE DATABASE $database"
psql -q -d "$database" -c "CREATE TABLE t (key bytea PRIMARY KEY, payload bytea)"
psql -q -d "$database" -c "INSERT INTO t SELECT decode(lpad(to_hex(i), 32, '0'), 'hex'),
    decode(repeat('ab', 8192), 'hex') FROM generate_series(1, 200) i"
script=$(mktemp)
trap 'rm -f "$script"' EXIT
echo "SELECT payload FROM t WHERE key = decode(lpad(to_hex((random() * 199)::int + 1), 32, '0'), 'hex');" >"$script"
pgbench=$(ls "${MEMO_TEST_POSTGRES_BIN:-/usr/lib/postgresql/15/bin}"/pgbench 2>/dev/null || command -v pgbench)
for mode in simple prepared; do
    echo "$mode:"
    "$pgbench" -n -f "$script" -T 5 -c 1 -M "$mode" "$database" 2>&1 | grep -E "latency average"
done
