#!/bin/bash
# Instructions per memoized hit, counted by callgrind: the difference of two runs of
# `memo-bench profile-hit N` (100,000 and 300,000 hits) over the 200,000 hits between
# them, so start-up and the first misses cancel out. `profile-hit.sh profile-key codable`
# (or `hand-written`) counts instructions per key of scenario 16 the same way. Valgrind cannot read the debug
# information the Swift toolchain emits, so it runs a copy with that stripped.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product memo-bench >/dev/null
binary=$(mktemp /tmp/memo-bench-profile.XXXXXX)
trap 'rm -f "$binary" "$binary".out.*' EXIT
cp "$(swift build -c release --show-bin-path)/memo-bench" "$binary"
chmod 755 "$binary"  # mktemp made it 0600, and cp keeps the mode of a file it overwrites
strip --strip-debug "$binary"
mode=("${@:-profile-hit}")
count() {
    valgrind --tool=callgrind --callgrind-out-file="$binary.out.$1" "$binary" "${mode[@]}" "$1" 2>&1 |
        awk '/Collected/ { print $4 }'
}
small=$(count 100000)
large=$(count 300000)
echo "instructions per ${mode[*]} call: $(((large - small) / 200000))"
echo "profile of the larger run: callgrind_annotate $binary.out.300000 (removed on exit; rerun valgrind to keep one)"
