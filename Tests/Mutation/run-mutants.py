#!/usr/bin/env python3
"""Mutation check of the cache's accounting and ordering code, and of the index, the
persistent directory, the spill file format and the value encodings behind it.

Applies each mutant (one altered comparison, +=/-=, min/max or off-by-one) to a copy
of the sources, runs the test suite, and reports which mutants the tests catch. The issue
asks for at least 9 of 10. Run from the repository root: python3 Tests/Mutation/run-mutants.py
[TEXT...] (only the mutants whose names contain one of the TEXTs). It restores every file afterwards.
"""
import subprocess
import sys

C = "Sources/Memo/Cache/"
I = "Sources/Memo/Index/"
K = "Sources/Memo/Keys/"
P = "Sources/Memo/Persistence/"
S = "Sources/Memo/Storage/"
V = "Sources/Memo/Values/"
MUTANTS = [
    ("spill while over budget: > becomes >=", C + "CacheState+Eviction.swift",
     "while stats.memoryBytes > maxMemory", "while stats.memoryBytes >= maxMemory"),
    ("disk budget: > becomes >=", C + "CacheState+Eviction.swift",
     "while stats.diskBytes > maxDisk", "while stats.diskBytes >= maxDisk"),
    ("oversize test: > becomes >=", C + "CacheState.swift",
     "if charge > maxMemory {\n            // Too big", "if charge >= maxMemory {\n            // Too big"),
    ("an oversized value from the directory goes to memory: <= becomes <", C + "CacheState+Loads.swift",
     "let fits = charge <= maxMemory", "let fits = charge < maxMemory"),
    ("reload fits: <= becomes <", C + "CacheState+Loads.swift",
     "if nodes[slot].charge <= maxMemory {", "if nodes[slot].charge < maxMemory {"),
    ("expiry: <= becomes <", C + "CacheState+Entries.swift",
     "at: nodes[slot].position) <= now.nanoseconds", "at: nodes[slot].position) < now.nanoseconds"),
    ("disk recency scan: > becomes <", C + "CacheState+Eviction.swift",
     "nodes[anchor].lastAccess > nodes[slot].lastAccess", "nodes[anchor].lastAccess < nodes[slot].lastAccess"),
    ("disk eviction from the most recent end (min becomes max)", C + "CacheState+Eviction.swift",
     "var slot = diskList.head", "var slot = diskList.tail"),
    ("discharge disk entries: -= 1 becomes -= 0", C + "CacheState+Accounting.swift",
     "stats.diskEntries -= 1", "stats.diskEntries -= 0"),
    ("charge memory: += charge becomes += charge - 1", C + "CacheState+Accounting.swift",
     "stats.memoryBytes += nodes[slot].charge", "stats.memoryBytes += nodes[slot].charge - 1"),
    ("disk hits counted for memory hits too", C + "CacheState+Accounting.swift",
     "if fromDisk { stats.diskHits += 1 }", "stats.diskHits += 1"),
    ("remove reports expired entries as removed", C + "CacheState.swift",
     "return !expired", "return expired"),
    ("touch without advancing the clock: += 1 becomes += 0", C + "CacheState+Entries.swift",
     "    mutating func touch(_ slot: Int, inMemory: Bool) {\n        clock += 1",
     "    mutating func touch(_ slot: Int, inMemory: Bool) {\n        clock += 0"),
    # The kept-file rule: a value reloaded from disk keeps its file while unchanged.
    ("a kept file leaving memory is not counted as a spill", C + "CacheState+Eviction.swift",
     "                chargeDiskEntry()\n                recordSpill()\n            case .pending:",
     "                chargeDiskEntry()\n            case .pending:"),
    # The hit path: buffered touches and the hits counted beside them (issue 11).
    ("a drain drops each stripe's last touch", C + "CacheState+Entries.swift",
     "            for slot in slots {\n                let slot = Int(slot)",
     "            for slot in slots.dropLast() {\n                let slot = Int(slot)"),
    ("a drain applies a stripe's touches newest first", C + "CacheState+Entries.swift",
     "            for slot in slots {\n                let slot = Int(slot)",
     "            for slot in slots.reversed() {\n                let slot = Int(slot)"),
    ("a hit without the state's lock is not counted", C + "EntryTable.swift",
     "stripe.pointee.hits.load(ordering: .relaxed) &+ 1",
     "stripe.pointee.hits.load(ordering: .relaxed) &+ 0"),
    ("a buffered touch of a memory entry is ignored", C + "CacheState+Entries.swift",
     "                    memory.moveToTail(slot, in: nodes)", "                    break"),
    ("a buffered touch moves the entry without making it the most recent", C + "RecencyList.swift",
     "        nodes[tail].next = Int32(truncatingIfNeeded: slot)\n        tail = slot",
     "        nodes[tail].next = Int32(truncatingIfNeeded: slot)"),
    ("the hit path serves an entry at its expiry: > becomes >=", C + "EntryTable.swift",
     "entry.pointee.expiresAt > now", "entry.pointee.expiresAt >= now"),
    ("a reloaded value does not keep its file", C + "CacheState+Loads.swift",
     "            nodes[slot].file = .kept\n            changeKeptFiles(by: 1)\n            clock += 1",
     "            nodes[slot].file = .none\n            changeKeptFiles(by: 1)\n            clock += 1"),
    # What a crash keeps (issue 26): a superseded value stays recorded until its successor is.
    ("a store in a persistent directory removes the superseded value's row first", C + "CacheState.swift",
     "removeEntry(at: slot, into: &superseded)", "removeEntry(at: slot, into: &removals)"),
    # Survives (2026-12-07): `removeSupersededWrites` runs just before each batch is taken,
    # so the batch's own check only meets a write superseded in the instant between the
    # two, which no deterministic test can arrange; the check saves that write's file.
    ("writes superseded before their turn are written anyway", P + "SpillingCache+WriteBehind.swift",
     "!skips || state.isPendingWrite($0) ?", "!skips || state.isPendingWrite($0) || $0.generation > 0 ?"),
    ("a file superseded during its transaction has its row removed at once", P + "SpillingCache+WriteBehind.swift",
     "if state.slot(of: job.key) == nil {", "if true {"),
    ("a failed transaction deletes the files its removals named", P + "SpillingCache+WriteBehind.swift",
     "                    persistence: persistence)\n                return\n",
     "                    persistence: persistence)\n"
     "                deleteThenRelease(deletions, followUps: [], persistence: persistence)\n"
     "                return\n"),
    # Behaviours pinned before the hub redesign (issue 20, step 0).
    ("pinned: memo stats keeps one version's bytes of a function stored under two", I + "SQLiteSpillIndex+Maintenance.swift",
     "summaries[summaries.count - 1].bytes += bytes", "summaries[summaries.count - 1].bytes = bytes"),
    ("pinned: memo stats takes the later version's oldest use", I + "SQLiteSpillIndex+Maintenance.swift",
     "summaries[summaries.count - 1].oldestUse = min(", "summaries[summaries.count - 1].oldestUse = max("),
    ("pinned: a disk hit in a persistent directory does not record its use", C + "SpillingCache+Lookup.swift",
     "            if persistence != nil {\n                let name = SpillDirectory.fileName",
     "            if persistence == nil {\n                let name = SpillDirectory.fileName"),
    ("pinned: a removal naming a replaced file removes the replacement's row", I + "SQLiteSpillIndex+Transactions.swift",
     "                fileName == nil || fileName == old\n", "                fileName == nil || fileName != old\n"),
    ("pinned: the touch buffer drains one hit past its capacity", C + "EntryTable.swift",
     "full = touches.count >= Self.capacity", "full = touches.count > Self.capacity"),
    ("pinned: a thread is given a new stripe at every hit", C + "EntryTable+Stripes.swift",
     "        memo_set_thread_stripe(given + 1)\n", "        _ = given\n"),
    # Encodable keys (issue 21): the stream encoder must write the tree's bytes.
    ("pinned: keyed fields are left in encoding order", K + "StableStreamEncoder+Containers.swift",
     "        if sorted { return }", "        if sorted || true { return }"),
    ("pinned: a class type is remembered as plain", K + "StableStreamEncoder.swift",
     "if !(T.self is AnyClass), !(T.self", "if !(T.self is AnyClass) || true, !(T.self"),
    # Issue 20: the hub's caller path, and the folders behind it.
    ("hub: a leader releases its directory lock before its value is recorded", C + "SpillingCache+Store.swift",
     "                enqueue([.unlock(lockedKey)])", "                persistence.locks?.unlock(lockedKey)"),
    ("hub: a full queue drops one operation early: >= becomes >", P + "WriteBehindQueue.swift",
     "state.pending.count >= capacity ||", "state.pending.count > capacity ||"),
    ("hub: a full queue drops index changes too", P + "WriteBehindQueue.swift",
     "            case .change, .unlock: false", "            case .change, .unlock: true"),
    ("hub: a full queue keeps the writes their batch would skip", P + "SpillingCache+WriteBehind.swift",
     "let removed = persistence.queue.removeWrites(ofGenerations: superseded)",
     "let removed = persistence.queue.removeWrites(ofGenerations: [])"),
    ("hub: a write superseded while written is abandoned, not recorded", P + "SpillingCache+WriteBehind.swift",
     "written.filter { state.slot(of: jobs[$0].key) == nil }",
     "written.filter { !state.isPendingWrite(jobs[$0]) }"),
    ("hub: the last holder of a computation lock does not unlock it", P + "ComputationLocks.swift",
     "            holders[key] = nil\n            // Under the mutex", "            holders[key] = 0\n            // Under the mutex"),
    # Survives (2026-12-07): ages in a directory are wall-clock nanoseconds (they cross
    # processes), so an age exactly equal to `timeToLive` cannot be arranged in a test.
    ("persistence: an entry in the directory expires one tick late: >= becomes >", P + "SpillingCache+Directory.swift",
     "age >= timeToLive {", "age > timeToLive {"),
    # (A spill-file name check one character short is an equivalent mutant: `generation(of:)`
    # requires the ".spill" suffix after the 33 characters anyway.)
    ("index: disk eviction stops one entry early: > becomes >=", I + "SQLiteSpillIndex+Transactions.swift",
     "        while bytes > maxBytes {", "        while bytes >= maxBytes {"),
    ("index: a computation lock never waits for its holder", I + "SQLiteSpillIndex+ComputationLocks.swift",
     "Self.lockOffset(key), 1, wait ? 1 : 0)", "Self.lockOffset(key), 1, 0)"),
    ("storage: a spill file of another key is accepted", S + "SpillFileFormat.swift",
     "guard header.key == key else", "guard header.key == key || true else"),
    ("storage: a payload that fails its checksum is accepted", S + "SpillFileFormat.swift",
     "        guard checksum.finalize() == header.checksum else { throw SpillFileError.checksumMismatch }",
     "        guard checksum.finalize() == header.checksum || true else { throw SpillFileError.checksumMismatch }"),
    ("values: a fixed-width integer advances one byte short", V + "CompactSink.swift",
     "as: T.self)\n        position += MemoryLayout<T>.size", "as: T.self)\n        position += MemoryLayout<T>.size - 1"),
    ("values: an optional's nil costs no memory", V + "Spillable+Standard.swift",
     "self?.memoryCost ?? 1", "self?.memoryCost ?? 0"),
]


def run_tests():
    build = subprocess.run(["swift", "build", "--build-tests"], capture_output=True, text=True)
    if build.returncode != 0:
        return "build failed"
    try:
        test = subprocess.run(["swift", "test", "--skip-build"], capture_output=True, text=True,
                              timeout=600)
    except subprocess.TimeoutExpired:
        return "caught"  # a hang is a failure too (the suite normally takes seconds)
    finally:
        # A mutant can leave a process spinning: a worker the tests spawned, or, after a
        # timeout, the test binary itself (the timeout kills `swift test`, not its child).
        # Either would slow every later run (and any benchmark) on the machine.
        subprocess.run(["pkill", "-KILL", "-f", r"\.build/.*/debug/memo-(fleet-)?worker"])
        subprocess.run(["pkill", "-KILL", "-f", r"\.build/.*/debug/MemoPackageTests\.xctest"])
    return "caught" if test.returncode != 0 else "survived"


def main():
    filters = sys.argv[1:] or [""]
    chosen = [mutant for mutant in MUTANTS if any(text in mutant[0] for text in filters)]
    caught = 0
    for name, path, old, new in chosen:
        original = open(path).read()
        if original.count(old) != 1:
            print(f"?? {name}: pattern not found exactly once in {path}")
            continue
        try:
            open(path, "w").write(original.replace(old, new))
            outcome = run_tests()
        finally:
            open(path, "w").write(original)
        caught += outcome == "caught"
        print(f"{outcome:9} {name}", flush=True)
    print(f"{caught} of {len(chosen)} mutants caught")
    subprocess.run(["swift", "build", "--build-tests"], capture_output=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
