#!/usr/bin/env python3
"""A trace of results with mixed compute costs and sizes, for cost-aware disk eviction.

1,000 distinct keys, each with a compute cost drawn log-uniformly from 10 µs to 1 s and a
result size drawn log-uniformly from 1 KB to 1 MB, independently; 20,000 accesses whose
keys follow a Zipf law (exponent 0.9) over a shuffled ranking, so that popularity says
nothing of cost or size. `make bench` (scenario 18) replays it under both
`diskEviction` policies at one disk budget and compares the recompute time.

Run: cd Fixtures/traces && python3 generate-costs.py
The file is frozen: regenerate only with a deliberate change of the trace (seed 2024).
"""
import math
import random

KEYS = 1_000
ACCESSES = 20_000
EXPONENT = 0.9

rng = random.Random(2024)


def log_uniform(low, high):
    return int(round(math.exp(rng.uniform(math.log(low), math.log(high)))))


costs = [log_uniform(10, 1_000_000) for _ in range(KEYS)]  # microseconds
sizes = [log_uniform(1_000, 1_000_000) for _ in range(KEYS)]  # bytes
ranking = list(range(KEYS))
rng.shuffle(ranking)
weights = [1 / (rank + 1) ** EXPONENT for rank in range(KEYS)]
accesses = rng.choices(ranking, weights=weights, k=ACCESSES)

with open("costs.tsv", "w") as out:
    out.write(f"# keys\t{KEYS}\taccesses\t{ACCESSES}\tzipf\t{EXPONENT}\tseed\t2024\n")
    out.write("# key\tcost_us\tbytes\n")
    for key in accesses:
        out.write(f"{key}\t{costs[key]}\t{sizes[key]}\n")
