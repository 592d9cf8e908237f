import Memo

/// What a cache must hold after any single-threaded sequence of calls, written as plainly
/// as possible: an array of entries, linear scans, recency as a counter.
///
/// It knows the faults the tests inject (a failing write or rename, a corrupt read, a
/// file deleted behind the cache's back, a crash that loses every unsynced file), so the
/// cache can be compared with it exactly, counters included, even under faults.
struct ReferenceModel {
    enum Tier: Equatable { case memory, writing, disk }

    struct Entry {
        var key: Int
        var value: Blob
        var charge: Int
        var storedAt: Duration
        var lastAccess: Int
        var tier: Tier
        /// The spill file is gone (deleted behind the cache's back, or lost in a crash).
        var fileLost = false
        /// A memory entry whose spill file is kept (it was reloaded from disk and is
        /// unchanged): leaving memory writes nothing.
        var fileKept = false

        /// Whether the cache holds a file for this entry (lost or not).
        var hasFile: Bool { tier == .disk || (tier == .memory && fileKept) }
    }

    /// A spill file of a `Blob` with no function: the 80-byte header of format version 2
    /// and two Ints.
    static let fileBytes = 80 + 16

    let maxMemory: Int
    let maxDisk: Int?
    let timeToLive: Duration?

    var entries: [Entry] = []
    var tick = 0
    var now: Duration
    var stats = CacheStats()
    var pendingWriteFault = false
    var pendingRenameFault = false
    var pendingReadFault = false

    init(maxMemory: Int, maxDisk: Int?, timeToLive: Duration?, now: Duration) {
        self.maxMemory = maxMemory
        self.maxDisk = maxDisk
        self.timeToLive = timeToLive
        self.now = now
    }

    // MARK: Derived figures (recounted every time, never kept)

    var memoryBytes: Int { entries.filter { $0.tier == .memory }.reduce(0) { $0 + $1.charge } }
    /// Every file the cache holds: disk entries' and those kept for memory entries.
    var diskBytes: Int { entries.filter(\.hasFile).count * Self.fileBytes }

    var expectedStats: CacheStats {
        var expected = stats
        expected.memoryBytes = memoryBytes
        expected.memoryEntries = entries.filter { $0.tier == .memory }.count
        expected.diskBytes = diskBytes
        expected.diskEntries = entries.filter { $0.tier == .disk }.count
        return expected
    }

    /// Keys in a tier, least recently used first.
    func keys(in tier: Tier) -> [Int] {
        entries.filter { $0.tier == tier }.sorted { $0.lastAccess < $1.lastAccess }.map(\.key)
    }

    func index(of key: Int) -> Int? { entries.firstIndex { $0.key == key } }

    func isExpired(_ entry: Entry) -> Bool {
        guard let timeToLive else { return false }
        return now - entry.storedAt >= timeToLive
    }

    // MARK: Operations

    mutating func store(_ value: Blob, forKey key: Int) {
        entries.removeAll { $0.key == key }
        tick += 1
        let charge = value.memoryCost + SpillingCache.entryOverhead
        let tier: Tier = charge > maxMemory ? .writing : .memory
        entries.append(
            Entry(
                key: key, value: value, charge: charge, storedAt: now, lastAccess: tick, tier: tier)
        )
        var writes = tier == .writing ? [key] : []
        writes += selectSpillVictims()
        write(writes)
    }

    /// A lookup: the value, or `nil` (the miss is counted by the caller).
    mutating func lookup(_ key: Int) -> Blob? {
        guard let i = index(of: key) else { return nil }
        if isExpired(entries[i]) {
            stats.expirations += 1
            entries.remove(at: i)
            return nil
        }
        if entries[i].tier == .memory {
            tick += 1
            entries[i].lastAccess = tick
            stats.hits += 1
            return entries[i].value
        }
        // On disk: read the file.
        let corrupt = pendingReadFault
        pendingReadFault = false
        if corrupt || entries[i].fileLost {
            stats.failures += 1
            entries.remove(at: i)
            return nil
        }
        stats.hits += 1
        stats.diskHits += 1
        tick += 1
        entries[i].lastAccess = tick
        let value = entries[i].value
        if entries[i].charge <= maxMemory {
            // Back to memory, keeping its file.
            entries[i].tier = .memory
            entries[i].fileKept = true
            write(selectSpillVictims())
        }
        return value
    }

    mutating func value(forKey key: Int) -> Blob? {
        let value = lookup(key)
        if value == nil { stats.misses += 1 }
        return value
    }

    mutating func value(forKey key: Int, orCompute computed: Blob) -> Blob {
        if let value = lookup(key) { return value }
        stats.misses += 1
        store(computed, forKey: key)
        return computed
    }

    mutating func remove(_ key: Int) -> Bool {
        guard let i = index(of: key) else { return false }
        let expired = isExpired(entries[i])
        if expired { stats.expirations += 1 }
        entries.remove(at: i)
        return !expired
    }

    mutating func removeAll() {
        entries.removeAll()
    }

    mutating func loseFile(of key: Int) {
        guard let i = index(of: key), entries[i].tier == .disk else { return }
        entries[i].fileLost = true
    }

    mutating func crash() {
        for i in entries.indices where entries[i].hasFile { entries[i].fileLost = true }
    }

    // MARK: Policy, as the contract states it

    /// Least recently used memory entries leave memory until the budget holds; expired ones
    /// are dropped, the others are to be written.
    private mutating func selectSpillVictims() -> [Int] {
        var victims: [Int] = []
        while memoryBytes > maxMemory {
            let oldest = entries.indices.filter { entries[$0].tier == .memory }
                .min { entries[$0].lastAccess < entries[$1].lastAccess }!
            if isExpired(entries[oldest]) {
                stats.expirations += 1
                entries.remove(at: oldest)
            } else if entries[oldest].fileKept {
                // Its file is already there: to disk without a write.
                entries[oldest].tier = .disk
                entries[oldest].fileKept = false
                stats.spills += 1
            } else {
                entries[oldest].tier = .writing
                victims.append(entries[oldest].key)
            }
        }
        return victims
    }

    /// Writes spill files in order; then deletes least recently used files past maxDisk.
    private mutating func write(_ keys: [Int]) {
        guard !keys.isEmpty else { return }
        for key in keys {
            let i = index(of: key)!
            if pendingWriteFault || pendingRenameFault {
                if pendingWriteFault {
                    pendingWriteFault = false
                } else {
                    pendingRenameFault = false
                }
                stats.failures += 1
                entries.remove(at: i)
            } else {
                entries[i].tier = .disk
                entries[i].fileLost = false
                stats.spills += 1
            }
        }
        guard let maxDisk else { return }
        // Least recently used disk entries first. Files kept for memory entries count, but
        // alone they never exceed the budget: a reload keeps a file that was within it.
        while diskBytes > maxDisk {
            let oldest = entries.indices.filter { entries[$0].tier == .disk }
                .min { entries[$0].lastAccess < entries[$1].lastAccess }!
            stats.evictions += 1
            entries.remove(at: oldest)
        }
    }
}
