/// Per-function memory quotas (`Memo.function(name:…, maxMemory:)`).
///
/// A function with a quota keeps its memory entries in a recency list of its own; every
/// other memory entry is in `memoryList`. Each list is ordered by `lastAccess` (a touch
/// or an insertion takes the next tick of the one logical clock), so the cache's least
/// recently used memory entry is the oldest of the lists' heads, and the cache-wide
/// budget spills exactly what one LRU list would. A function past its quota spills its
/// own heads first, so other functions' entries stay where they are.
extension CacheState {
    /// A function's memory quota and its memory entries, least recently used first.
    struct MemoryQuota {
        var bytes: Int
        var list = RecencyList()
    }

    /// Sets the quota of `function`; the first time, its memory entries move to a list of
    /// their own, in order. Returns the spills that bring it within.
    mutating func setMemoryQuota(
        _ bytes: Int, for function: StoredFunction, now: Duration,
        removals: inout [UInt64: CacheKey]
    ) -> [SpillJob] {
        let id = functionID(function)
        if quotas[id] != nil {
            quotas[id]!.bytes = bytes
        } else {
            var moving: [Int] = []
            var slot = memoryList.head
            while slot >= 0 {
                if nodes[slot].function == id { moving.append(slot) }
                slot = Int(nodes[slot].next)
            }
            var quota = MemoryQuota(bytes: bytes)
            for slot in moving {
                memoryList.remove(slot, in: &nodes)
                quota.list.append(slot, in: &nodes)
            }
            quotas[id] = quota
        }
        return spillVictims(now: now, removals: &removals)
    }

    /// The most an entry of function `id` may cost in memory: the cache's budget, or
    /// its function's quota if smaller. A larger entry goes straight to disk.
    func memoryLimit(ofFunction id: Int32) -> Int {
        guard !quotas.isEmpty, let quota = quotas[id] else { return maxMemory }
        return min(maxMemory, quota.bytes)
    }

    /// Links a memory entry at the most recent end of its list.
    mutating func appendToMemory(_ slot: Int) {
        let id = nodes[slot].function
        if !quotas.isEmpty, quotas[id] != nil {
            quotas[id]!.list.append(slot, in: &nodes)
        } else {
            memoryList.append(slot, in: &nodes)
        }
    }

    /// Unlinks a memory entry from its list.
    mutating func removeFromMemory(_ slot: Int) {
        let id = nodes[slot].function
        if !quotas.isEmpty, quotas[id] != nil {
            quotas[id]!.list.remove(slot, in: &nodes)
        } else {
            memoryList.remove(slot, in: &nodes)
        }
    }

    /// The least recently used memory entry of the whole cache, or -1.
    func leastRecentMemoryEntry() -> Int {
        var oldest = memoryList.head
        for quota in quotas.values where quota.list.head >= 0 {
            if oldest < 0 || nodes[quota.list.head].lastAccess < nodes[oldest].lastAccess {
                oldest = quota.list.head
            }
        }
        return oldest
    }

    /// The least recently used memory entry of a function past its quota, or -1.
    func overQuotaMemoryEntry() -> Int {
        for (id, quota) in quotas where functionBytes[Int(id)].memory > quota.bytes {
            return quota.list.head
        }
        return -1
    }

    /// Every memory entry, least recently used first (the lists merged).
    var memoryEntriesInOrder: [Int] {
        var slots: [Int] = []
        for list in [memoryList] + quotas.values.map(\.list) {
            var slot = list.head
            while slot >= 0 {
                slots.append(slot)
                slot = Int(nodes[slot].next)
            }
        }
        return quotas.isEmpty ? slots : slots.sorted { nodes[$0].lastAccess < nodes[$1].lastAccess }
    }
}
