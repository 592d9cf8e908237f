/// The eviction policy: one recency order for the whole cache.
///
/// - Memory: while a function's memory charge exceeds its quota, its least recently used
///   memory entry leaves memory (`CacheState+Quotas.swift`); then, while the memory charge
///   exceeds `maxMemory`, the least recently used memory entry leaves memory. An expired
///   one is dropped; one whose file is kept goes to disk without a write; one whose file
///   is being written waits for that write; any other is spilled to a new file.
/// - Disk: while spill files exceed `maxDisk`, the least recently used file of an entry
///   held only on disk is deleted (an eviction). Files still being written are not
///   candidates; files kept for values in memory count against the budget but never
///   exceed it alone.
///
/// In any single-threaded sequence of calls, the entries chosen are exactly those a plain
/// LRU by bytes would choose (`Tests/MemoTests/Properties` replays both).
extension CacheState {
    /// Takes least recently used entries out of memory until the budget holds.
    mutating func spillVictims(
        now: Duration, removals: inout [UInt64: CacheKey]
    ) -> [SpillJob] {
        var jobs: [SpillJob] = []
        while true {
            // A function past its quota spills its own first; then the cache's oldest.
            var slot = overQuotaMemoryEntry()
            if slot < 0, stats.memoryBytes > maxMemory { slot = leastRecentMemoryEntry() }
            guard slot >= 0 else { break }
            guard nodes[slot].tier == .memory else {
                preconditionFailure("a node in the memory list is not in memory")
            }
            if isExpired(slot, now: now) {
                recordExpiration()
                forgotten.remember(nodes[slot].key, .expired)
                removeEntry(at: slot, into: &removals)
                continue
            }
            removeFromMemory(slot)
            dischargeMemory(slot)
            switch nodes[slot].file {
            case .kept:
                // Unchanged since it was written or reloaded: its file is already there.
                changeKeptFiles(by: -1)
                nodes[slot].tier = .disk
                setValue(nil, at: slot)
                insertIntoDiskList(slot)
                chargeDiskEntry()
                recordSpill()
            case .pending:
                // Its write is under way; that write's report completes the spill.
                nodes[slot].tier = .writing
                insertIntoDiskList(slot)
            case .none:
                // Every write is a file of a new generation: a removal of an earlier file
                // of this entry can never hit the new one.
                nextGeneration += 1
                nodes[slot].generation = nextGeneration
                nodes[slot].tier = .writing
                insertIntoDiskList(slot)
                jobs.append(job(for: slot, value: value(at: slot)))
            }
        }
        return jobs
    }

    /// Deletes least recently used spill files until the disk budget holds.
    mutating func evictForDisk(removals: inout [UInt64: CacheKey]) {
        guard let maxDisk else { return }
        if costAware { return evictForDiskByCost(maxDisk: maxDisk, removals: &removals) }
        var slot = diskList.head
        while stats.diskBytes > maxDisk, slot >= 0 {
            let next = Int(nodes[slot].next)
            if nodes[slot].tier == .disk {
                recordEviction()
                forgotten.remember(nodes[slot].key, .evicted)
                removeEntry(at: slot, into: &removals)
            }
            slot = next
        }
        // Files kept for values in memory never need to go: a reload turns a file within
        // the budget into a kept one, so kept files alone never exceed it.
    }

    /// Applies what a persistent directory's index deleted for its disk budget: entries
    /// held only on disk are evictions; values in memory lose their file and stay.
    mutating func applyIndexEvictions(_ evicted: [SpillIndexEntry]) {
        var ignored: [UInt64: CacheKey] = [:]
        for entry in evicted {
            guard let slot = slot(of: entry.key),
                SpillDirectory.fileName(for: entry.key, generation: nodes[slot].generation)
                    == entry.fileName
            else {
                // Another process's entry, or one this cache no longer holds.
                recordEviction()
                if slot(of: entry.key) == nil { forgotten.remember(entry.key, .evicted) }
                continue
            }
            switch nodes[slot].tier {
            case .disk:
                recordEviction()
                forgotten.remember(entry.key, .evicted)
                removeEntry(at: slot, into: &ignored)
            case .memory where nodes[slot].file == .kept:
                dropKeptFile(at: slot)
            case .memory, .writing, .free:
                break
            }
        }
    }

    /// Links `slot` into the disk list, which is ordered by `lastAccess`, scanning from
    /// the most recent end. A spilled entry is more recent than every file already on disk
    /// unless oversized entries (which live on disk) were touched since, so the scan is
    /// short.
    mutating func insertIntoDiskList(_ slot: Int) {
        var anchor = diskList.tail
        while anchor >= 0, nodes[anchor].lastAccess > nodes[slot].lastAccess {
            anchor = Int(nodes[anchor].previous)
        }
        diskList.insert(slot, after: anchor, in: &nodes)
    }
}
