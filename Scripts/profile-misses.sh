#!/bin/bash
# Data-cache misses per hit among 1,000,000 entries (scenario 4b), for the cache and for
# its dictionary baseline, counted by cachegrind's cache simulation: the difference of two
# runs of `memo-bench profile-lookup KIND N` (100,000 and 300,000 hits) over the 200,000
# hits between them, so filling the table and making the probes (300,000 in every run)
# cancel out. (`perf stat -e cache-misses` counts
# real misses where the processor's counters are exposed; these virtual machines expose
# none.) The simulated caches are this machine's (lscpu): a 32 KiB first-level data cache
# (D1) and the 32 MiB shared L3 as the last level (LL); valgrind's own guess of the last
# level here was a direct-mapped 256 MiB. Neither simulates the TLB.
set -euo pipefail
cd "$(dirname "$0")/.."
. Scripts/stripped-memo-bench.sh
# "D1  misses: N (...)" and "LLd misses: N (...)" of cachegrind's summary, commas removed.
count() {
    valgrind --tool=cachegrind --cache-sim=yes --D1=32768,8,64 --LL=33554432,16,64 \
        --cachegrind-out-file="$binary.out.$1.$2" \
        "$binary" profile-lookup "$1" "$2" 2>&1 |
        awk '/D1  misses:/ { gsub(",", "", $4); d1 = $4 } /LLd misses:/ { gsub(",", "", $4); ll = $4 }
             END { print d1, ll }'
}
kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(cache dictionary)
for kind in "${kinds[@]}"; do
    read -r d1Small llSmall <<<"$(count "$kind" 100000)"
    read -r d1Large llLarge <<<"$(count "$kind" 300000)"
    awk -v k="$kind" -v d1="$((d1Large - d1Small))" -v ll="$((llLarge - llSmall))" \
        'BEGIN { printf "%s: per hit, %.2f D1 misses, %.2f LL misses\n", k, d1 / 200000, ll / 200000 }'
done
