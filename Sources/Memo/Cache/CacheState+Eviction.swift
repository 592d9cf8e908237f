/// The eviction policy: one recency order for the whole cache.
///
/// - Memory: while the memory charge exceeds `maxMemory`, the least recently used memory
///   entry leaves memory: an expired one is dropped, any other is spilled to disk.
/// - Disk: while spill files exceed `maxDisk`, the least recently used file is deleted
///   (an eviction). Files still being written are not candidates.
///
/// In any single-threaded sequence of calls, the entries chosen are exactly those a plain
/// LRU by bytes would choose (`Tests/MemoTests/Properties` replays both).
extension CacheState {
    /// Takes least recently used entries out of memory until the budget holds.
    mutating func spillVictims(
        now: Duration, removals: inout [UInt64: CacheKey]
    ) -> [SpillJob] {
        var jobs: [SpillJob] = []
        while stats.memoryBytes > maxMemory, memoryList.head >= 0 {
            let slot = memoryList.head
            guard case .memory(let value) = nodes[slot].tier else {
                preconditionFailure("a node in the memory list is not in memory")
            }
            if isExpired(slot, now: now) {
                recordExpiration()
                removeEntry(at: slot, into: &removals)
                continue
            }
            memoryList.remove(slot, in: &nodes)
            dischargeMemory(slot)
            // Every spill writes a file of a new generation: a removal of an earlier file
            // of this entry (reloaded, then spilled again) can never hit the new one.
            nextGeneration += 1
            nodes[slot].generation = nextGeneration
            nodes[slot].tier = .writing(value)
            insertIntoDiskList(slot)
            jobs.append(
                SpillJob(key: nodes[slot].key, generation: nodes[slot].generation, value: value))
        }
        return jobs
    }

    /// Deletes least recently used spill files until the disk budget holds.
    mutating func evictForDisk(removals: inout [UInt64: CacheKey]) {
        guard let maxDisk else { return }
        var slot = diskList.head
        while stats.diskBytes > maxDisk, slot >= 0 {
            let next = nodes[slot].next
            if case .disk = nodes[slot].tier {
                recordEviction()
                removeEntry(at: slot, into: &removals)
            }
            slot = next
        }
    }

    /// Links `slot` into the disk list, which is ordered by `lastAccess`, scanning from
    /// the most recent end. A spilled entry is more recent than every file already on disk
    /// unless oversized entries (which live on disk) were touched since, so the scan is
    /// short.
    mutating func insertIntoDiskList(_ slot: Int) {
        var anchor = diskList.tail
        while anchor >= 0, nodes[anchor].lastAccess > nodes[slot].lastAccess {
            anchor = nodes[anchor].previous
        }
        diskList.insert(slot, after: anchor, in: &nodes)
    }
}
