/// Every change to the cache's counters and sizes. Nothing else writes `stats`, so the
/// figures are exact by construction and `stats` is O(1) to read.
///
/// Sizes follow the contract of ``CacheStats``: an entry counts in `memoryEntries` while
/// in memory and in `diskEntries` while only on disk; `diskBytes` counts every file the
/// cache holds, including the files kept for values back in memory.
extension CacheState {
    mutating func chargeMemory(_ slot: Int) {
        stats.memoryBytes += nodes[slot].charge
        stats.memoryEntries += 1
    }

    mutating func dischargeMemory(_ slot: Int) {
        stats.memoryBytes -= nodes[slot].charge
        stats.memoryEntries -= 1
    }

    /// The entry's file now exists.
    mutating func chargeFile(_ slot: Int) {
        stats.diskBytes += nodes[slot].fileBytes
    }

    /// The entry's file is gone (or no longer the cache's).
    mutating func dischargeFile(_ slot: Int) {
        stats.diskBytes -= nodes[slot].fileBytes
    }

    mutating func chargeDiskEntry() { stats.diskEntries += 1 }
    mutating func dischargeDiskEntry() { stats.diskEntries -= 1 }

    mutating func resetSizes() {
        stats.memoryBytes = 0
        stats.memoryEntries = 0
        stats.diskBytes = 0
        stats.diskEntries = 0
    }

    /// The figures callers see. A persistent cache reports its whole directory on disk:
    /// every file in the index (`diskBytes`), and the entries that are not also in this
    /// cache's memory (`diskEntries`), as of its last index transaction.
    var publicStats: CacheStats {
        guard let directoryTotals else { return stats }
        var figures = stats
        figures.diskBytes = directoryTotals.bytes
        figures.diskEntries = max(0, directoryTotals.entries - keptFiles)
        return figures
    }

    mutating func recordHit(fromDisk: Bool) {
        stats.hits += 1
        if fromDisk { stats.diskHits += 1 }
    }

    mutating func recordMiss() { stats.misses += 1 }
    mutating func recordSpill() { stats.spills += 1 }
    mutating func recordEviction() { stats.evictions += 1 }
    mutating func recordExpiration() { stats.expirations += 1 }

    mutating func recordFailure() { stats.failures += 1 }
}
