#!/usr/bin/env bash
# Runs the test suite in two runs: everything but the suites that bound a wall-clock time,
# in parallel, then those suites alone. A timed bound (a miss that must not wait for a slow
# disk, a ticker that must keep running) is only meaningful on a machine not busy with other
# tests: on two cores, tests that block threads can stall the whole parallel run for
# seconds (20 s once, in CI under ThreadSanitizer).
#
# usage: Scripts/run-tests.sh SWIFT [swift test arguments...]
set -euo pipefail
SWIFT="$1"
shift
TIMED_SUITES='CallerPathTests'
"$SWIFT" test "$@" --skip "$TIMED_SUITES"
"$SWIFT" test "$@" --filter "$TIMED_SUITES"
