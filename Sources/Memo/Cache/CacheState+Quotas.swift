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

    /// Sets (or, with `nil`, lifts) the quota of `function`, moving its memory entries to
    /// its own list (or back), in order. Returns the spills that bring it within.
    mutating func setMemoryQuota(
        _ bytes: Int?, for function: StoredFunction, now: Duration,
        removals: inout [UInt64: CacheKey]
    ) -> [SpillJob] {
        let id = functionID(function)
        if let bytes {
            if quotas[id] != nil {
                quotas[id]!.bytes = bytes
            } else {
                quotas[id] = MemoryQuota(bytes: bytes)
                moveMemoryEntries(of: id, toQuotaList: true)
            }
        } else if quotas[id] != nil {
            moveMemoryEntries(of: id, toQuotaList: false)
            quotas[id] = nil
        }
        return spillVictims(now: now, removals: &removals)
    }

    /// Moves the memory entries of function `id` between `memoryList` and its quota's
    /// list, keeping their order; the lists are merged by `lastAccess` on the way back.
    private mutating func moveMemoryEntries(of id: Int32, toQuotaList: Bool) {
        var moving: [Int] = []
        var slot = toQuotaList ? memoryList.head : quotas[id]!.list.head
        while slot >= 0 {
            if nodes[slot].function == id { moving.append(slot) }
            slot = Int(nodes[slot].next)
        }
        for slot in moving {
            if toQuotaList {
                memoryList.remove(slot, in: &nodes)
                quotas[id]!.list.append(slot, in: &nodes)
            } else {
                quotas[id]!.list.remove(slot, in: &nodes)
                var anchor = memoryList.tail
                while anchor >= 0, nodes[anchor].lastAccess > nodes[slot].lastAccess {
                    anchor = Int(nodes[anchor].previous)
                }
                memoryList.insert(slot, after: anchor, in: &nodes)
            }
        }
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
