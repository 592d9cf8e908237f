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
        functionBytes[Int(nodes[slot].function)].memory += nodes[slot].charge
        metricEvents.sizesChanged = reportsMetrics
    }

    mutating func dischargeMemory(_ slot: Int) {
        stats.memoryBytes -= nodes[slot].charge
        stats.memoryEntries -= 1
        functionBytes[Int(nodes[slot].function)].memory -= nodes[slot].charge
        metricEvents.sizesChanged = reportsMetrics
    }

    /// The entry's file now exists.
    mutating func chargeFile(_ slot: Int) {
        stats.diskBytes += nodes[slot].fileBytes
        functionBytes[Int(nodes[slot].function)].disk += nodes[slot].fileBytes
        metricEvents.sizesChanged = reportsMetrics
    }

    /// The entry's file is gone (or no longer the cache's).
    mutating func dischargeFile(_ slot: Int) {
        stats.diskBytes -= nodes[slot].fileBytes
        functionBytes[Int(nodes[slot].function)].disk -= nodes[slot].fileBytes
        metricEvents.sizesChanged = reportsMetrics
    }

    mutating func chargeDiskEntry() {
        stats.diskEntries += 1
        metricEvents.sizesChanged = reportsMetrics
    }

    mutating func dischargeDiskEntry() {
        stats.diskEntries -= 1
        metricEvents.sizesChanged = reportsMetrics
    }

    mutating func resetSizes() {
        stats.memoryBytes = 0
        stats.memoryEntries = 0
        stats.diskBytes = 0
        stats.diskEntries = 0
        functionBytes = Array(repeating: FunctionBytes(), count: functions.count)
        metricEvents.sizesChanged = reportsMetrics
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

    mutating func recordSharedHit() {
        stats.hits += 1
        stats.sharedHits += 1
    }

    mutating func recordMiss() { stats.misses += 1 }

    mutating func recordSpill() {
        stats.spills += 1
        if reportsMetrics { metricEvents.spills += 1 }
    }

    /// Writes of a persistent directory not done because their value was superseded or
    /// removed before its turn.
    mutating func recordSkippedWrites(_ count: Int) { stats.skippedWrites += count }
    mutating func recordDroppedWrite() { stats.droppedWrites += 1 }
    /// Files of entries in memory kept on disk (a value reloaded, or written by a
    /// persistent cache), which count in the disk's totals.
    mutating func changeKeptFiles(by delta: Int) { keptFiles += delta }

    mutating func recordEviction() {
        stats.evictions += 1
        if reportsMetrics { metricEvents.evictions += 1 }
    }

    mutating func recordExpiration() {
        stats.expirations += 1
        if reportsMetrics { metricEvents.expirations += 1 }
    }

    mutating func recordFailure() {
        stats.failures += 1
        if reportsMetrics { metricEvents.failures += 1 }
    }

    /// What metrics have not been told yet, with the sizes as they are now; `nil` when
    /// nothing changed (a hit changes nothing here: hits are counted by the caller).
    mutating func takeMetricEvents() -> MetricEvents? {
        guard reportsMetrics, metricEvents.isPending else { return nil }
        var events = metricEvents
        metricEvents = MetricEvents()
        if events.sizesChanged {
            let figures = publicStats
            events.sizes = (
                figures.memoryBytes, figures.diskBytes, figures.memoryEntries + figures.diskEntries
            )
        }
        return events
    }
}
