public import Logging

/// How a ``SpillingCache`` is bounded, where it spills, and what it uses for time and
/// files.
///
/// ```swift
/// var config = CacheConfiguration()
/// config.maxMemory = .megabytes(64)
/// config.maxDisk = .gigabytes(10)
/// let cache = try SpillingCache(config)
/// ```
public struct CacheConfiguration: Sendable {
    /// The memory budget: in-memory entries' `memoryCost` plus
    /// ``SpillingCache/entryOverhead`` each. 2 GB by default, as in "2GB".
    public var maxMemory: ByteCount = .gigabytes(2)

    /// The disk budget for spill files; `nil` (the default) is unbounded. Past it the
    /// least recently used files are deleted, counted in `evictions`.
    public var maxDisk: ByteCount? = nil

    /// The spill directory, created 0700 if absent. `nil` (the default) is a fresh
    /// directory for this user and process under the temporary directory, removed by
    /// `removeAll()` and at exit; for a persistent cache, `$XDG_CACHE_HOME/memo` (or
    /// `~/.cache/memo`).
    ///
    /// A non-persistent directory belongs to one cache at a time: `removeAll()`,
    /// deinitialization and process exit remove every spill file in it. A persistent
    /// directory is shared by every cache and process that opens it.
    public var directory: String? = nil

    /// Whether stored values survive restarts and are shared by processes.
    ///
    /// `true`: every stored value is also written to ``directory``, off the caller's path,
    /// and recorded in the directory's index; a later run, or another process, finds it
    /// by key. ``SpillingCache/flush()`` (and normal process exit) waits for pending
    /// writes; `maxDisk` holds for the whole directory; get-or-compute is single-flight
    /// across processes. `false` (the default): spill files live as long as the cache.
    public var persistent: Bool = false

    /// The index of a persistent directory; `nil` (the default) is SQLite in the
    /// directory (`memo-index.sqlite`). Tests that keep a persistent cache in
    /// `MemoTesting`'s `InMemoryFileSystem` give it `MemoTesting`'s `InMemorySpillIndex`.
    public var index: (any SpillIndex)? = nil

    /// How long a value stays usable after it was stored (not after its last access);
    /// `nil` (the default) is forever. Expired entries are misses in either tier.
    public var timeToLive: Duration? = nil

    /// The clock `timeToLive` is measured with.
    public var clock: any CacheClock = SystemCacheClock()

    /// The file system spill files go through.
    public var fileSystem: any SpillFileSystem = LocalFileSystem()

    /// Where the cache logs (see <doc:Observability> for what, at which level): failures
    /// at warning, the first one and then each time the count doubles, so a failing disk
    /// cannot flood the log; opening a persistent directory at info; nothing per call
    /// above trace.
    public var logger: Logger = Logger(label: "memo.cache")

    /// A tier of results shared by a fleet of machines (`MemoPostgres`' `PostgresTier`),
    /// asked after memory and the local directory, before computing; `nil` (the default)
    /// is none. Computed values are published to it in the background; no call waits on
    /// it longer than its timeout.
    public var sharedTier: (any SharedTier)? = nil

    /// The cache's name: the `cache` dimension of its metrics. `"memo"` by default.
    public var name: String = "memo"

    /// Where the cache reports its swift-metrics counters and gauges: `.system` (the
    /// default) is whatever backend the program bootstrapped, `.off` none at all.
    public var metrics: MetricsDestination = .system

    /// Which spill files go first past `maxDisk`: the least recently used (the default),
    /// or, with `.costAware`, those cheapest to recompute per byte.
    public var diskEviction: DiskEviction = .leastRecentlyUsed

    /// The defaults: 2 GB of memory, unbounded disk, a private temporary directory.
    public init() {}
}

/// The order in which results leave the disk tier when it is past `maxDisk`.
public enum DiskEviction: Sendable, Equatable {
    /// Least recently used first: exact LRU by bytes, as in memory.
    case leastRecentlyUsed
    /// Cheapest to recompute per byte first: GreedyDual-Size-Frequency (Cao and Irani,
    /// 1997) on each result's measured compute time. Each result on disk has the priority
    /// `L + uses × computeTime / bytes`, set when it is stored or used; the lowest goes
    /// first, and `L` rises to each evicted priority, so results not used for a long time
    /// go in the end however expensive they were. In a persistent directory the index keeps
    /// each entry's cost, use count and priority, and `L`, so the rule holds across
    /// reopening and for every process sharing the directory.
    case costAware
}

/// A configuration the cache cannot run with.
public enum CacheConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Was thrown for `persistent = true` by releases without persistent directories;
    /// never thrown now.
    @available(*, deprecated, message: "persistent caches are supported; this is never thrown")
    case persistenceNotSupported

    /// A sentence saying what was wrong and what is accepted.
    public var description: String {
        switch self {
        case .persistenceNotSupported:
            return "persistent caches are not supported yet: set `persistent = false` "
                + "(spill files then live as long as the process)"
        }
    }
}
