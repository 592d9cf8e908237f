import Logging
import Synchronization

/// A byte-bounded LRU cache whose evicted entries spill to disk and come back on the next
/// hit.
///
/// ```swift
/// var config = CacheConfiguration()
/// config.maxMemory = .megabytes(64)
/// let cache = try SpillingCache(config)
/// cache.store(spectrum, forKey: key)
/// let again = cache.value(forKey: key, as: [Double].self)
/// let value = try cache.value(forKey: key) { try compute() }   // get-or-compute
/// ```
///
/// - Memory: `stats.memoryBytes` is the sum of `memoryCost + entryOverhead` over the
///   entries in memory, and is at most `maxMemory` whenever a call returns. A value larger
///   than `maxMemory` is written straight to disk.
/// - Recency: one order for the whole cache. In a single-threaded sequence of calls, the
///   entries that spill are exactly the least recently used ones.
/// - Disk: spill files are checksummed and private (0700 directory, 0600 files). A file
///   that fails any check is a miss, is removed, and counts in `failures`; a wrong value
///   is never returned. A failed write loses that entry only.
/// - Concurrency: all methods are safe from any thread. No disk I/O happens under the
///   cache's lock, so an in-memory hit never waits for another key's spill or load.
public final class SpillingCache: Sendable {
    /// Bytes of bookkeeping charged per in-memory entry on top of its `memoryCost`: the
    /// node in the recency list, the index slot and the value's box. Calibrated on
    /// `make bench`, scenario 6: 1,000,000 `Int` entries grow the resident set by 197
    /// bytes each, 189 of them bookkeeping.
    public static let entryOverhead = 184

    /// The configuration the cache was created with.
    public let configuration: CacheConfiguration
    /// The spill directory in use (the generated one when the configuration gave none).
    public let directory: String

    let ownsDirectory: Bool
    /// Whether entries expire; without a `timeToLive` the clock is never read.
    let tracksTime: Bool
    let fileSystem: any SpillFileSystem
    let clock: any CacheClock
    let logger: Logger
    let state: Mutex<CacheState>

    /// Creates a cache, creating or checking its spill directory.
    ///
    /// - Throws: ``SpillDirectoryError`` when the directory is a symbolic link, not a
    ///   directory, belongs to another user or cannot be created;
    ///   ``CacheConfigurationError`` for a configuration this release cannot honour.
    public init(_ configuration: CacheConfiguration = CacheConfiguration()) throws {
        guard !configuration.persistent else {
            throw CacheConfigurationError.persistenceNotSupported
        }
        self.configuration = configuration
        self.fileSystem = configuration.fileSystem
        self.clock = configuration.clock
        self.tracksTime = configuration.timeToLive != nil
        self.logger = configuration.logger
        if let directory = configuration.directory {
            self.directory = directory
            self.ownsDirectory = false
        } else {
            self.directory = SpillDirectory.defaultPath()
            self.ownsDirectory = true
        }
        try fileSystem.prepareDirectory(atPath: directory)
        self.state = Mutex(
            CacheState(
                maxMemory: configuration.maxMemory.bytes,
                maxDisk: configuration.maxDisk?.bytes,
                timeToLive: configuration.timeToLive))
        let (directory, owned, fileSystem) = (self.directory, ownsDirectory, self.fileSystem)
        ExitCleanup.register(ObjectIdentifier(self)) {
            SpillDirectory.clean(directory, owned: owned, fileSystem: fileSystem)
        }
    }

    deinit {
        ExitCleanup.unregister(ObjectIdentifier(self))
        SpillDirectory.clean(directory, owned: ownsDirectory, fileSystem: fileSystem)
    }

    /// The cache's counters and sizes. O(1).
    public var stats: CacheStats {
        state.withTrackedLock { $0.stats }
    }

    /// Stores `value` under `key`, replacing any previous value, and spills least
    /// recently used entries if memory is now over budget.
    public func store<Value: Spillable>(_ value: Value, forKey key: CacheKey) {
        storeAny(value, forKey: key)
    }

    /// The value stored under `key`, from memory or reloaded from disk; `nil` on a miss.
    ///
    /// A value stored as another type is a miss (of this type: the entry stays).
    public func value<Value: Spillable>(
        forKey key: CacheKey, as type: Value.Type = Value.self
    ) -> Value? {
        guard let value = valueAny(forKey: key, type: Value.self) else { return nil }
        return (value as! Value)
    }

    /// Removes the value stored under `key` from memory or disk.
    ///
    /// - Returns: `true` if a usable value was removed.
    @discardableResult
    public func removeValue(forKey key: CacheKey) -> Bool {
        let now = self.now
        var removals: [UInt64: CacheKey] = [:]
        let removed = state.withTrackedLock { $0.remove(key, now: now, removals: &removals) }
        removeFiles(removals)
        return removed
    }

    /// Empties the cache: every entry in memory and every spill file in its directory.
    /// Counters of past events (hits, misses…) are kept.
    public func removeAll() {
        state.withTrackedLock { $0.removeAll() }
        SpillDirectory.clean(directory, owned: ownsDirectory, fileSystem: fileSystem)
    }

    /// How many times a lookup retries when entries change under it.
    static let lookupAttempts = 8
}
