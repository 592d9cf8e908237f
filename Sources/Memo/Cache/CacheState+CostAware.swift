/// Cost-aware disk eviction (`CacheConfiguration.diskEviction = .costAware`):
/// GreedyDual-Size-Frequency (Cao and Irani, 1997) on each result's compute time.
///
/// Each entry has the priority `H = L + uses × cost / charge`, set when it is stored and
/// each time it is used, with the inflation `L` of that moment. Past `maxDisk`, the entry
/// held only on disk with the lowest `H` goes first (of equal ones, the least recently
/// used), and `L` rises to its `H`: an entry not used since `L` passed its priority goes
/// before any entry used since, however expensive it was. `L` never falls.
///
/// The victim is found by a scan of the disk list: O(entries on disk) per eviction.
extension CacheState {
    /// Sets the priority of `slot` from its use count, cost and charge, at today's
    /// inflation.
    mutating func setPriority(_ slot: Int) {
        guard costAware else { return }
        if priorities.count < nodes.count {
            priorities.append(contentsOf: repeatElement(0, count: nodes.count - priorities.count))
        }
        let node = nodes[slot]
        priorities[slot] =
            inflation + Double(node.uses) * Double(node.cost) / Double(max(node.charge, 1))
    }

    /// Counts a use of `slot` (a hit) for its priority.
    mutating func recordUse(_ slot: Int) {
        guard costAware else { return }
        if nodes[slot].uses < .max { nodes[slot].uses += 1 }
        setPriority(slot)
    }

    /// Deletes the spill files of lowest priority until the disk budget holds.
    mutating func evictForDiskByCost(maxDisk: Int, removals: inout [UInt64: CacheKey]) {
        while stats.diskBytes > maxDisk {
            var victim = -1
            var slot = diskList.head
            while slot >= 0 {
                if nodes[slot].tier == .disk, victim < 0 || priorities[slot] < priorities[victim] {
                    victim = slot
                }
                slot = Int(nodes[slot].next)
            }
            guard victim >= 0 else { return }
            inflation = max(inflation, priorities[victim])
            recordEviction()
            forgotten.remember(nodes[victim].key, .evicted)
            removeEntry(at: victim, into: &removals)
        }
    }

    /// A compute time as the whole microseconds a node keeps (at most about 71 minutes).
    static func costMicroseconds(_ time: Duration) -> UInt32 {
        let microseconds = time.components.seconds * 1_000_000
            + time.components.attoseconds / 1_000_000_000_000
        return UInt32(clamping: max(microseconds, 0))
    }
}
