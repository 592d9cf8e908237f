#!/usr/bin/env bash
# Runs three memo-fleet-demo workers at once against the server in MEMO_TEST_POSTGRES_*
# (Scripts/throwaway-postgres.sh run starts one), then says how many spectra the fleet
# computed in all: 24, each once.
set -euo pipefail
worker=$1
if [ -z "${MEMO_TEST_POSTGRES_PORT:-}" ]; then
  echo "demo-fleet: no PostgreSQL server could be started here" >&2
  exit 1
fi
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
for name in alpha beta gamma; do
  "$worker" "$name" "$MEMO_TEST_POSTGRES_HOST" "$MEMO_TEST_POSTGRES_PORT" >"$logs/$name" 2>&1 &
done
wait
cat "$logs/alpha" "$logs/beta" "$logs/gamma" | grep -v " info " | sort -s -t: -k1,1
total=$(cat "$logs"/* | grep -c "computed the spectrum" || true)
echo
echo "the fleet computed $total spectra in all, for 24 signals: each once, the rest served by the shared tier"
