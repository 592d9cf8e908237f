/// Every change to the cache's counters and sizes. Nothing else writes `stats`, so the
/// figures are exact by construction and `stats` is O(1) to read.
extension CacheState {
    mutating func chargeMemory(_ slot: Int) {
        stats.memoryBytes += nodes[slot].charge
        stats.memoryEntries += 1
    }

    mutating func dischargeMemory(_ slot: Int) {
        stats.memoryBytes -= nodes[slot].charge
        stats.memoryEntries -= 1
    }

    mutating func chargeDisk(_ slot: Int) {
        stats.diskBytes += nodes[slot].fileBytes
        stats.diskEntries += 1
    }

    mutating func dischargeDisk(_ slot: Int) {
        stats.diskBytes -= nodes[slot].fileBytes
        stats.diskEntries -= 1
    }

    mutating func resetSizes() {
        stats.memoryBytes = 0
        stats.memoryEntries = 0
        stats.diskBytes = 0
        stats.diskEntries = 0
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
