/// A spilled entry's file read back, and an entry another process recorded taken in.
extension CacheState {
    /// Reports a load of `key`'s spill file of `generation`.
    ///
    /// On success the value is a hit (counted) and, if it fits, moves back to memory,
    /// keeping its file, possibly spilling others. On failure the entry is dropped and,
    /// unless `countsAsFailure` is false (a file another process evicted), counted in
    /// `failures`; the caller decides what the miss is. `nil` means the entry changed while
    /// the file was read and the load says nothing: look again.
    mutating func completeLoad(
        _ key: CacheKey, generation: UInt64, loaded: (any Spillable)?,
        countsAsFailure: Bool = true, now: Duration,
        jobs: inout [SpillJob], removals: inout [UInt64: CacheKey]
    ) -> Bool? {
        guard let slot = slot(of: key), nodes[slot].generation == generation,
            nodes[slot].tier == .disk
        else {
            // Removed, replaced or already reloaded meanwhile. A value we did read is the
            // value the key had when we looked: still a correct answer.
            if loaded != nil { recordHit(fromDisk: true) }
            return loaded == nil ? nil : true
        }
        guard let loaded else {
            if countsAsFailure { recordFailure() }
            removeEntry(at: slot, into: &removals)
            forgotten.remember(key, countsAsFailure ? .corrupt : .evicted)
            return false
        }
        recordHit(fromDisk: true)
        if nodes[slot].charge <= memoryLimit(ofFunction: nodes[slot].function) {
            // Back to memory; the file stays, so leaving memory again writes nothing.
            diskList.remove(slot, in: &nodes)
            dischargeDiskEntry()
            nodes[slot].tier = .memory
            setValue(loaded, at: slot)
            nodes[slot].file = .kept
            changeKeptFiles(by: 1)
            clock += 1
            nodes[slot].lastAccess = clock
            recordUse(slot)
            appendToMemory(slot)
            chargeMemory(slot)
            jobs += spillVictims(now: now, removals: &removals)
        } else {
            touch(slot, inMemory: false)
        }
        return true
    }

    /// Takes in a value this cache did not hold but found in its persistent directory's
    /// index and read from the file `generation` names: a hit from disk, kept in memory
    /// with its file if it fits. Nothing changes if the key was stored meanwhile, unless
    /// `replacing` (a refresh taking another process's newer value): then what this cache
    /// held of the key goes (its file is garbage, if it has one) and the value takes its
    /// place, unless that is the very file.
    mutating func adopt(
        _ value: any Spillable, charge: Int, forKey key: CacheKey, generation: UInt64,
        fileBytes: Int, function: StoredFunction, storedAt: Duration, now: Duration,
        cost: Duration = .zero, uses: Int = 1,
        replacing: Bool = false, jobs: inout [SpillJob], removals: inout [UInt64: CacheKey]
    ) {
        recordHit(fromDisk: true)
        if replacing, let slot = slot(of: key), nodes[slot].generation != generation {
            removeEntry(at: slot, into: &removals)
        }
        guard slot(of: key) == nil else { return }
        clock += 1
        let id = functionID(function)
        let fits = charge <= memoryLimit(ofFunction: id)
        let node = Node(
            key: key, valueType: ObjectIdentifier(ExistentialValue.heldType(of: value)),
            generation: generation,
            lastAccess: clock, charge: charge, fileBytes: fileBytes, previous: -1, next: -1,
            position: 0, function: id, tier: fits ? .memory : .disk,
            file: .kept, uses: UInt16(clamping: uses), cost: Self.costMicroseconds(cost))
        let slot = allocate(node)
        setPriority(slot)
        nodes[slot].position = table.insert(
            key,
            EntryTable.Entry(
                value: fits ? value : nil, valueType: node.valueType,
                storedAt: storedAt.nanoseconds,
                slot: Int32(slot)))
        chargeFile(slot)
        if !fits {
            insertIntoDiskList(slot)
            chargeDiskEntry()
        } else {
            changeKeptFiles(by: 1)
            appendToMemory(slot)
            chargeMemory(slot)
            jobs += spillVictims(now: now, removals: &removals)
        }
    }
}
