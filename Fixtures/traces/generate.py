#!/usr/bin/env python3
"""Access traces with the hits an independent LRU expects.

Each trace is a sequence of get-or-compute accesses (key, charge). The expected outcome of
every access (memory hit, disk hit or miss) comes from cachetools.LRUCache used as the
memory tier, sized in bytes, with evicted entries moved to an unbounded disk tier, as
Memo's contract describes: a miss computes and stores; a disk hit moves the entry back to
memory; an entry larger than the whole budget lives on disk only.

The charge is what the entry costs in memory (memoryCost + entryOverhead); the Swift
test stores values whose memoryCost is the charge minus SpillingCache.entryOverhead, so
the traces do not depend on that constant.

Run: pip install cachetools && cd Fixtures/traces && python3 generate.py
The files are frozen: regenerate only with a deliberate change of the traces.
"""
import random

import cachetools

MAX_MEMORY = 10_000


def replay(accesses):
    memory = cachetools.LRUCache(maxsize=MAX_MEMORY, getsizeof=lambda charge: charge)
    disk = {}
    charges = dict(accesses)
    outcomes = []

    def store(key, charge):
        if charge > MAX_MEMORY:
            disk[key] = charge
            return
        # Only keys(): reading items through LRUCache.__getitem__ would touch every entry.
        before = set(memory.keys())
        memory[key] = charge  # cachetools evicts least recently used entries to make room
        for evicted in before - set(memory.keys()):
            disk[evicted] = charges[evicted]

    for key, charge in accesses:
        if key in memory:
            memory[key]  # touch: most recently used
            outcomes.append("memory")
        elif key in disk:
            stored = disk[key]
            outcomes.append("disk")
            if stored <= MAX_MEMORY:
                del disk[key]
                store(key, stored)
            else:  # oversized: stays on disk, and is now the most recently used file
                disk[key] = disk.pop(key)
        else:
            outcomes.append("miss")
            store(key, charge)
    return outcomes


def charge_of(key, sizes):
    return sizes[key % len(sizes)]


def skewed(rng):
    # Zipf-like: a few hot keys, a long tail.
    keys = list(range(200))
    weights = [1 / (k + 1) ** 1.1 for k in keys]
    return [(k, 600) for k in rng.choices(keys, weights, k=3000)]


def scan(rng):
    # Repeated scans over more keys than memory holds: plain LRU's worst case.
    return [(k, 700) for _ in range(12) for k in range(25)]


def mixed(rng):
    # Mixed sizes, some larger than the whole budget.
    sizes = [200, 450, 1_300, 3_100, 12_000]
    return [(k, charge_of(k, sizes)) for k in (rng.randrange(60) for _ in range(3000))]


def write(name, accesses):
    outcomes = replay(accesses)
    with open(f"{name}.tsv", "w") as f:
        f.write(f"# max_memory\t{MAX_MEMORY}\n")
        f.write(f"# expected\tmemory={outcomes.count('memory')}\tdisk={outcomes.count('disk')}"
                f"\tmiss={outcomes.count('miss')}\n")
        f.write("# key\tcharge\toutcome\n")
        for (key, charge), outcome in zip(accesses, outcomes):
            f.write(f"{key}\t{charge}\t{outcome}\n")
    print(name, len(accesses), {o: outcomes.count(o) for o in ("memory", "disk", "miss")})


if __name__ == "__main__":
    write("skewed", skewed(random.Random(1)))
    write("scan", scan(random.Random(2)))
    write("mixed", mixed(random.Random(3)))
