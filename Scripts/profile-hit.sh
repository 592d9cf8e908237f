#!/bin/bash
# Instructions per memoized hit, counted by callgrind: the difference of two runs of
# `memo-bench profile-hit N` (100,000 and 300,000 hits) over the 200,000 hits between
# them, so start-up and the first misses cancel out. `profile-hit.sh profile-key codable`
# (or `hand-written`) counts instructions per key of scenario 16 the same way. Valgrind cannot read the debug
# information the Swift toolchain emits, so it runs a copy with that stripped.
set -euo pipefail
cd "$(dirname "$0")/.."
. Scripts/stripped-memo-bench.sh
mode=("${@:-profile-hit}")
count() {
    valgrind --tool=callgrind --callgrind-out-file="$binary.out.$1" "$binary" "${mode[@]}" "$1" 2>&1 |
        awk '/Collected/ { print $4 }'
}
small=$(count 100000)
large=$(count 300000)
echo "instructions per ${mode[*]} call: $(((large - small) / 200000))"
echo "profile of the larger run: callgrind_annotate $binary.out.300000 (removed on exit; rerun valgrind to keep one)"
