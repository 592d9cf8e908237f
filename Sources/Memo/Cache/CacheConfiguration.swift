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
    /// `removeAll()` and at exit.
    ///
    /// A directory belongs to one cache at a time: `removeAll()`, deinitialization and
    /// process exit remove every spill file in it.
    public var directory: String? = nil

    /// Whether spill files should survive restarts.
    ///
    /// Not supported yet: ``SpillingCache/init(_:)`` throws
    /// ``CacheConfigurationError/persistenceNotSupported`` when this is `true`. The
    /// non-persistent cache removes its files at `removeAll()` and at exit.
    public var persistent: Bool = false

    /// How long a value stays usable after it was stored (not after its last access);
    /// `nil` (the default) is forever. Expired entries are misses in either tier.
    public var timeToLive: Duration? = nil

    /// The clock `timeToLive` is measured with.
    public var clock: any CacheClock = SystemCacheClock()

    /// The file system spill files go through.
    public var fileSystem: any SpillFileSystem = LocalFileSystem()

    /// Where spill and load failures are reported, at warning level: the first failure
    /// and then each time the count doubles, so a failing disk cannot flood the log.
    public var logger: Logger = Logger(label: "memo.cache")

    /// The defaults: 2 GB of memory, unbounded disk, a private temporary directory.
    public init() {}
}

/// A configuration the cache cannot run with.
public enum CacheConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `persistent = true` was asked for; this release keeps spill files only for the life
    /// of the process.
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
