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
    /// node in the recency list, the entry table's slot and the value's box. Calibrated
    /// on `make bench`, scenario 6: 1,000,000 `Int` entries grow the resident set by 182
    /// bytes each, 174 of them bookkeeping (195 and 187 before the entry table).
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
    /// Keys, and the values of entries in memory, where a hit finds them without the
    /// state's lock (the state changes it, under its lock and the table's stripes).
    let table: EntryTable
    /// A persistent cache's directory index and write-behind queue; `nil` otherwise.
    let persistence: Persistence?
    /// The swift-metrics instruments; `nil` when metrics are off.
    let metrics: CacheMetrics?
    /// The shared tier, behind its timeouts; `nil` without one.
    let shared: SharedTierClient?

    /// Creates a cache, creating or checking its spill directory; a persistent cache also
    /// opens (or creates) the directory's index and removes temporary files left by
    /// processes that died.
    ///
    /// - Throws: ``CacheConfigurationError`` for a configuration it cannot run with;
    ///   ``SpillDirectoryError`` when the directory is a symbolic link, not a
    ///   directory, belongs to another user or cannot be created; ``SpillIndexError`` when
    ///   a persistent directory's index is from a newer release or cannot be opened.
    public init(_ configuration: CacheConfiguration = CacheConfiguration()) throws {
        self.configuration = configuration
        self.fileSystem = configuration.fileSystem
        self.clock = configuration.clock
        self.tracksTime = configuration.timeToLive != nil
        self.logger = configuration.logger
        let metrics = CacheMetrics.make(configuration.metrics, cache: configuration.name)
        self.metrics = metrics
        self.shared = configuration.sharedTier.map(SharedTierClient.init)
        let table = EntryTable()
        self.table = table
        (self.directory, self.ownsDirectory) = Self.directoryPath(for: configuration)
        try fileSystem.prepareDirectory(atPath: directory)
        if configuration.persistent {
            let (state, persistence) = try Self.openPersistentDirectory(
                directory, configuration: configuration, table: table, reportsMetrics: metrics != nil)
            self.state = Mutex(state)
            self.persistence = persistence
            ExitCleanup.register(ObjectIdentifier(self)) { [weak self] in self?.flush() }
        } else {
            var state = CacheState(
                maxMemory: configuration.maxMemory.bytes, maxDisk: configuration.maxDisk?.bytes,
                timeToLive: configuration.timeToLive, table: table,
                costAware: configuration.diskEviction == .costAware)
            state.reportsMetrics = metrics != nil
            state.leaderCountsMiss = configuration.sharedTier != nil
            state.metricEvents.sizesChanged = metrics != nil
            self.state = Mutex(state)
            self.persistence = nil
            let (directory, owned, fileSystem) = (self.directory, ownsDirectory, self.fileSystem)
            let shared = self.shared
            ExitCleanup.register(ObjectIdentifier(self)) {
                shared?.waitForPublications()
                SpillDirectory.clean(directory, owned: owned, fileSystem: fileSystem)
            }
        }
        shared?.onFailure { [weak self] message in self?.recordFailure(message) }
        // The gauges start at the sizes the cache opened with.
        if let events = state.withTrackedLock({ $0.takeMetricEvents() }) {
            metrics?.report(events)
        }
    }

    /// The directory of `configuration`, and whether the cache owns it (a private spill
    /// directory of its own, removed at exit).
    private static func directoryPath(for configuration: CacheConfiguration) -> (String, Bool) {
        if let directory = configuration.directory { return (directory, false) }
        if configuration.persistent { return (PersistentDirectory.defaultPath(), false) }
        return (SpillDirectory.defaultPath(), true)
    }

    deinit {
        ExitCleanup.unregister(ObjectIdentifier(self))
        if persistence != nil {
            // Nothing else can reach the cache now, and this may run on the queue's own
            // serial queue (its worker held the last reference): drain here, directly.
            // What is drained survives the process; `flush()` (and exit) also survive a
            // power loss, at the price of a sync this does not pay.
            drainQueue()
        } else {
            SpillDirectory.clean(directory, owned: ownsDirectory, fileSystem: fileSystem)
        }
    }

    /// Runs `body` on the state under its lock, then, with the lock released, reports to
    /// metrics the events and size changes `body` caused (nothing when metrics are off,
    /// and nothing but a flag's test when nothing changed, as on a hit).
    @inline(__always)
    func withState<Result: Sendable>(_ body: (inout CacheState) -> Result) -> Result {
        let (result, events) = state.withTrackedLock { state in
            table.exclusively(draining: { state.applyTouches($0) }) {
                (body(&state), state.takeMetricEvents())
            }
        }
        if let events { metrics?.report(events) }
        return result
    }

    /// The cache's counters and sizes. O(1).
    public var stats: CacheStats {
        var stats = state.withTrackedLock { $0.publicStats }
        // Hits served without the state's lock are counted where they were recorded.
        stats.hits += table.hits
        return stats
    }

    /// Stores `value` under `key`, replacing any previous value, and spills least
    /// recently used entries if memory is now over budget.
    public func store<Value: Spillable>(_ value: Value, forKey key: CacheKey) {
        storeAndPublish(value, forKey: key, function: .none)
    }

    /// The value stored under `key`, from memory or reloaded from disk; `nil` on a miss.
    ///
    /// A value stored as another type is a miss (of this type: the entry stays).
    public func value<Value: Spillable>(
        forKey key: CacheKey, as type: Value.Type = Value.self
    ) -> Value? {
        var hit: Value?
        if memoryHit(key, type: Value.self, { hit = ExistentialValue.load($0, as: Value.self) })
            != nil
        {
            FunctionMetrics.recordHit(metrics?.unretainedDirect)
            return hit
        }
        let (value, outcome) = valueAny(forKey: key, type: Value.self)
        metrics?.direct.record(outcome)
        return value.map { unbox($0, as: Value.self) }
    }

    /// Removes the value stored under `key` from memory or disk.
    ///
    /// - Returns: `true` if a usable value was removed.
    @discardableResult
    public func removeValue(forKey key: CacheKey) -> Bool {
        let now = self.now
        var removals: [UInt64: CacheKey] = [:]
        var removed = withState { $0.remove(key, now: now, removals: &removals) }
        if let persistence {
            // The directory may hold the key even if this cache never loaded it; the
            // first change removes that entry, whichever process wrote it.
            if !removed, (try? persistence.index.entry(forKey: key)) != nil { removed = true }
            perform(
                [.change(.remove(key: key, fileName: nil), deleting: nil)]
                    + removalOperations(removals))
        } else {
            removeFiles(removals)
        }
        return removed
    }

    /// Empties the cache: every entry in memory and every spill file in its directory
    /// (for a persistent cache, every entry of the directory, whichever process wrote it).
    /// Counters of past events (hits, misses…) are kept.
    public func removeAll() {
        var (detached, lastGeneration) = withState { state in
            (state.removeAll(), state.nextGeneration)
        }
        // The values' deinitializers (user code) run here, with no lock held.
        detached.free()
        if persistence != nil {
            perform([.change(.removeAll(function: nil), deleting: nil)])
        } else {
            // Files of values stored since, by other threads, stay: their entries are live.
            SpillDirectory.clean(
                directory, owned: ownsDirectory, fileSystem: fileSystem,
                throughGeneration: lastGeneration)
        }
    }

    /// Removes the entries of the memoized function named `function` (every version), in
    /// memory and on disk, and in a persistent directory whichever process wrote them.
    /// Other functions' entries stay; counters of past events are kept.
    public func removeAll(function: String) {
        var removals: [UInt64: CacheKey] = [:]
        withState { $0.removeAll(functionNamed: function, into: &removals) }
        if persistence != nil {
            perform(
                removalOperations(removals)
                    + [.change(.removeAll(function: function), deleting: nil)])
        } else {
            removeFiles(removals)
        }
    }

    /// Flushes a persistent cache and lets go of its directory (the index's connections
    /// and lock file): what `Memo.configure` and `MemoTesting` do to a cache they replace.
    /// The cache object itself stays allocated, since a call that found it just before
    /// the replacement may still be using it.
    package func retire() {
        guard let persistence else { return }
        flush()
        persistence.closeFiles()
    }

    /// Blocks until every value stored so far is durable: written to its file, recorded
    /// in the index, and synchronized, so that a power loss after `flush()` returns loses
    /// nothing. Normal process exit flushes every persistent cache. With a shared tier, it
    /// first waits for the publications under way (each bounded by the tier's timeout).
    public func flush() {
        shared?.waitForPublications()
        guard let persistence else { return }
        persistence.queue.runNow { drainQueue() }
        do {
            try fileSystem.synchronizeAll(inDirectory: directory)
            try persistence.index.synchronize()
            // Other processes may have changed the directory since this cache's last batch.
            let totals = try persistence.index.totals()
            withState { $0.directoryTotals = totals }
        } catch {
            recordFailure("flush could not make the directory durable: \(error)")
        }
    }

    /// How many times a lookup retries when entries change under it.
    static let lookupAttempts = 8
}
