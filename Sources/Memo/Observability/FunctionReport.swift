/// One memoized function's figures, as `Memo.report()` shows them: what its calls came to,
/// why they missed, the time it computed and saved, and the bytes it holds.
public struct FunctionReport: Sendable, Equatable {
    /// The function's name (or call site, `#fileID:#line`, when unnamed).
    public var function: String
    /// Its version.
    public var version: Int
    /// Calls that found a value in memory (or shared a concurrent caller's computation).
    public var memoryHits: Int
    /// Calls that read their value from disk.
    public var diskHits: Int
    /// Calls whose value came from the shared tier (``CacheConfiguration/sharedTier``).
    public var sharedHits: Int
    /// Calls that ran the body (or received a concurrent caller's error), by reason; every
    /// reason is present, most at 0.
    public var misses: [MissReason: Int]
    /// The time the body ran, over the calls that completed.
    public var computeTime: Duration
    /// What the hits spared: the average computation time times the hits.
    public var timeSaved: Duration
    /// Bytes its entries are charged in memory (`memoryCost` plus
    /// ``SpillingCache/entryOverhead`` each).
    public var memoryBytes: Int
    /// Bytes of its spill files that this process's cache holds.
    public var diskBytes: Int
    /// Hits on results past their ``Freshness``'s `after` (part of the hits): each
    /// returned at once, with a background refresh running or started.
    public var staleHits: Int
    /// Refreshes that replaced a result: in the background, or asked for with `refresh`.
    public var refreshes: Int
    /// Refreshes whose computation threw: the old result was kept.
    public var refreshFailures: Int
    /// Computations past `expireAfter` that threw and returned the old result instead
    /// (`serveStaleOnError`; part of the hits).
    public var staleOnErrorHits: Int
    /// The compute time of the results this cache holds for the function, in memory and on
    /// disk: what recomputing them all would cost (each result's time from its
    /// computation's start to its store, on the cache's clock).
    public var computeTimeHeld: Duration
    /// The function's memory quota (`Memo.function(…, maxMemory:)`), `nil` without one.
    public var memoryQuota: ByteCount?

    /// Hits from memory, from disk and from the shared tier.
    public var hits: Int { memoryHits + diskHits + sharedHits }
    /// Misses of every reason.
    public var missCount: Int { misses.values.reduce(0, +) }
    /// Every call.
    public var calls: Int { hits + missCount }

    /// A report; figures that are not given are zero.
    public init(
        function: String, version: Int = 0, memoryHits: Int = 0, diskHits: Int = 0,
        sharedHits: Int = 0, misses: [MissReason: Int] = [:], computeTime: Duration = .zero,
        timeSaved: Duration = .zero, memoryBytes: Int = 0, diskBytes: Int = 0,
        staleHits: Int = 0, refreshes: Int = 0, refreshFailures: Int = 0,
        staleOnErrorHits: Int = 0, computeTimeHeld: Duration = .zero,
        memoryQuota: ByteCount? = nil
    ) {
        self.function = function
        self.version = version
        self.memoryHits = memoryHits
        self.diskHits = diskHits
        self.sharedHits = sharedHits
        var all: [MissReason: Int] = [:]
        for reason in MissReason.allCases { all[reason] = misses[reason] ?? 0 }
        self.misses = all
        self.computeTime = computeTime
        self.timeSaved = timeSaved
        self.memoryBytes = memoryBytes
        self.diskBytes = diskBytes
        self.staleHits = staleHits
        self.refreshes = refreshes
        self.refreshFailures = refreshFailures
        self.staleOnErrorHits = staleOnErrorHits
        self.computeTimeHeld = computeTimeHeld
        self.memoryQuota = memoryQuota
    }
}
