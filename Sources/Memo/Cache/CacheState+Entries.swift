/// The entries' slots, values, generations and recency: what the operations are built on.
extension CacheState {
    // MARK: Helpers

    /// Whether the entry at `slot` has outlived the cache's `timeToLive`.
    func isExpired(_ slot: Int, now: Duration) -> Bool {
        guard let timeToLive else { return false }
        return storedAt(slot) <= (now - timeToLive).nanoseconds
    }

    /// Whether the entry at `slot` is older than `usableFor` (a caller's ``Freshness``
    /// limit; `nil`: no limit): too old for that caller, though kept for others.
    func isTooOld(_ slot: Int, for usableFor: Duration?, now: Duration) -> Bool {
        guard let usableFor else { return false }
        return storedAt(slot) <= (now - usableFor).nanoseconds
    }

    /// When the value at `slot` was stored (nanoseconds of the cache's clock).
    func storedAt(_ slot: Int) -> Int64 {
        table.storedAt(of: nodes[slot].key, at: nodes[slot].position)
    }

    /// The slot of `key`'s node.
    func slot(of key: CacheKey) -> Int? { table.slot(of: key) }

    /// The value of the entry at `slot`, in memory or being written.
    func value(at slot: Int) -> any Spillable {
        guard let value = table.value(of: nodes[slot].key, at: nodes[slot].position) else {
            preconditionFailure("an entry in memory has no value in the table")
        }
        return value
    }

    /// Sets what a hit on the entry at `slot` reads.
    func setValue(_ value: (any Spillable)?, at slot: Int) {
        table.setValue(value, of: nodes[slot].key, at: nodes[slot].position)
    }

    /// Unlinks and frees an entry, discharging its tier; its file (if any) is garbage.
    mutating func removeEntry(at slot: Int, into removals: inout [UInt64: CacheKey]) {
        let node = nodes[slot]
        switch node.tier {
        case .memory:
            removeFromMemory(slot)
            dischargeMemory(slot)
            if node.file == .kept {
                dischargeFile(slot)
                changeKeptFiles(by: -1)
                removals[node.generation] = node.key
            }
        // A pending write's report finds the generation gone and removes its file.
        case .writing:
            // The job's report will find the generation gone and remove its file.
            diskList.remove(slot, in: &nodes)
        case .disk:
            diskList.remove(slot, in: &nodes)
            dischargeFile(slot)
            dischargeDiskEntry()
            removals[node.generation] = node.key
        case .free:
            preconditionFailure("removing a freed slot")
        }
        table.remove(node.key, at: node.position)
        functionBytes[Int(node.function)].computeMicroseconds -= UInt64(node.cost)
        if !refreshRetries.isEmpty { refreshRetries[node.key] = nil }
        nodes[slot].tier = .free
        freeSlots.append(slot)
    }

    /// Forgets the kept file of a memory entry (deleted for the disk budget); the value
    /// stays in memory and will be written again when it leaves.
    mutating func dropKeptFile(at slot: Int) {
        dischargeFile(slot)
        changeKeptFiles(by: -1)
        nodes[slot].file = .none
    }

    mutating func allocate(_ node: Node) -> Int {
        functionBytes[Int(node.function)].computeMicroseconds += UInt64(node.cost)
        if let slot = freeSlots.popLast() {
            nodes[slot] = node
            return slot
        }
        nodes.append(node)
        return nodes.count - 1
    }

    mutating func functionID(_ function: StoredFunction) -> Int32 {
        if let id = functionIDs[function] { return id }
        let id = Int32(functions.count)
        functions.append(function)
        functionIDs[function] = id
        functionBytes.append(FunctionBytes())
        return id
    }

    func job(for slot: Int, value: any Spillable) -> SpillJob {
        SpillJob(
            key: nodes[slot].key, generation: nodes[slot].generation, value: value,
            function: functions[Int(nodes[slot].function)],
            storedAt: .nanoseconds(storedAt(slot)), cost: .microseconds(nodes[slot].cost),
            uses: max(Int(nodes[slot].uses), 1))
    }

    /// Applies a stripe's buffered touches, oldest first.
    ///
    /// In a large cache each touch misses the processor's caches on its node and on its
    /// two neighbours, and relinking them one touch after another pays those misses one
    /// after another. So the links are first read for every touch, then the neighbours'
    /// (independent loads, which the processor overlaps), and the relinking then finds
    /// them in cache. (`warmth` only keeps those loads from being optimized away.)
    mutating func applyTouches(_ slots: [Int32]) {
        guard quotas.isEmpty, !costAware else {
            // Memory entries are in several lists, or each use sets a priority: the plain
            // way.
            for slot in slots where nodes[Int(slot)].tier != .free {
                touch(Int(slot), inMemory: nodes[Int(slot)].tier == .memory)
            }
            return
        }
        if nodes.count >= Self.warmingThreshold {
            var sink: Int32 = 0
            for slot in slots { sink ^= nodes[Int(slot)].previous ^ nodes[Int(slot)].next }
            for slot in slots {
                let (previous, next) = (nodes[Int(slot)].previous, nodes[Int(slot)].next)
                if previous >= 0 { sink ^= nodes[Int(previous)].next }
                if next >= 0 { sink ^= nodes[Int(next)].previous }
            }
            warmth ^= sink
        }
        // Each touch makes its entry the most recent of its list. A slot freed since is
        // skipped; one reused since by another key gives that key the touch, which only
        // overlapping calls can cause. The loop works on the node storage directly: with
        // the array's bounds and uniqueness checks it cost half again as much.
        var (memory, disk, clock) = (memoryList, diskList, self.clock)
        nodes.withUnsafeMutableBufferPointer { buffer in
            let nodes = buffer.baseAddress!
            for slot in slots {
                let slot = Int(slot)
                switch nodes[slot].tier {
                case .memory:
                    clock += 1
                    nodes[slot].lastAccess = clock
                    memory.moveToTail(slot, in: nodes)
                case .writing, .disk:
                    clock += 1
                    nodes[slot].lastAccess = clock
                    disk.moveToTail(slot, in: nodes)
                case .free:
                    break
                }
            }
        }
        (memoryList, diskList, self.clock) = (memory, disk, clock)
    }

    /// Caches of fewer nodes than this fit the processor's caches: no warm-up.
    static let warmingThreshold = 1 << 15

    /// Marks an entry most recently used in the list that holds it.
    mutating func touch(_ slot: Int, inMemory: Bool) {
        clock += 1
        nodes[slot].lastAccess = clock
        recordUse(slot)
        if inMemory {
            removeFromMemory(slot)
            appendToMemory(slot)
        } else {
            diskList.remove(slot, in: &nodes)
            diskList.append(slot, in: &nodes)
        }
    }
}
