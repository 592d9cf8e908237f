/// A snapshot of a cache's counters and sizes.
///
/// Every figure is kept up to date as the cache changes, so reading them is O(1).
public struct CacheStats: Sendable, Equatable, CustomStringConvertible {
    /// Lookups that found a usable value (in memory or on disk).
    public var hits = 0
    /// Lookups that did not find a usable value.
    public var misses = 0
    /// Hits that read a spill file (counted in ``hits`` too).
    public var diskHits = 0
    /// Hits whose value came from the shared tier (counted in ``hits`` too).
    public var sharedHits = 0
    /// Entries moved from memory to disk, or written straight to disk because they are
    /// larger than the memory budget.
    public var spills = 0
    /// Entries dropped for space (past `maxDisk`); removals and clears are not evictions.
    public var evictions = 0
    /// Entries dropped because their `timeToLive` passed.
    public var expirations = 0
    /// Spill or load I/O failures, corrupt spill files, and memoized calls that could not
    /// be keyed (an argument's `encode(to:)` threw) and so ran uncached.
    public var failures = 0
    /// Writes to a persistent directory not done because a newer value of the same key
    /// was already queued, or the entry was removed, before the write's turn: disk work
    /// saved under overwrite pressure.
    public var skippedWrites = 0
    /// Writes to a persistent directory not queued because the write-behind queue was
    /// full (its disk is slower than the values arrive): the value stays in memory if it
    /// is there, and only the directory misses it. A store waits at most
    /// one second for room before its write is dropped; no caller does the queue's work.
    public var droppedWrites = 0
    /// Bytes charged for in-memory entries: `memoryCost + entryOverhead` each.
    public var memoryBytes = 0
    /// Entries held in memory.
    public var memoryEntries = 0
    /// Bytes of spill files.
    public var diskBytes = 0
    /// Entries held in spill files.
    public var diskEntries = 0

    /// Empty counters.
    public init() {}

    /// `hits / (hits + misses)`, or 0 before any lookup.
    public var hitRate: Double {
        let lookups = hits + misses
        return lookups == 0 ? 0 : Double(hits) / Double(lookups)
    }

    /// A multi-line summary in the seed's layout, with units.
    public var description: String {
        let permille = Int((hitRate * 1000).rounded())
        return """
            Cache Statistics:
              Hits: \(hits) (\(diskHits) from disk)
              Misses: \(misses)
              Hit Rate: \(permille / 10).\(permille % 10)%
              Spills: \(spills)
              Evictions: \(evictions)
              Expirations: \(expirations)
              Failures: \(failures)
              Memory: \(ByteCount(memoryBytes)) in \(memoryEntries) entries
              Disk: \(ByteCount(diskBytes)) in \(diskEntries) entries
            """
    }
}
