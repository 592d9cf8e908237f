import Logging
import Synchronization

/// The process-wide memoization registry: one shared, byte-bounded, spilling cache, and
/// wrappers that memoize functions into it.
///
/// ```swift
/// let spectrum = Memo.memoized(name: "spectrum") { (signal: [Double], n: Int) -> [Double] in
///     powerSpectrum(signal, n)
/// }
/// spectrum(signal, 1024)   // computed
/// spectrum(signal, 1024)   // cached
/// print(Memo.report())
/// ```
///
/// All members are safe to use from any thread at any time. A call that is running when
/// the cache is replaced by ``configure(_:)`` finishes against the cache it started with.
public enum Memo {
    /// The shared context; created with the default configuration on first use.
    private static let shared = Mutex<MemoContext?>(nil)

    /// A context that replaces the shared one for a task and its children
    /// (`MemoTesting`'s `withIsolatedMemo`).
    @TaskLocal package static var isolatedContext: MemoContext?

    /// The context calls use right now.
    package static var currentContext: MemoContext {
        if let isolated = isolatedContext { return isolated }
        return shared.withTrackedLock { shared in
            if let context = shared { return context }
            let context = MemoContext(cache: makeDefaultCache())
            shared = context
            return context
        }
    }

    private static func makeDefaultCache() -> SpillingCache {
        makeCache(CacheConfiguration())
    }

    /// A cache for `configuration`; if its spill directory cannot be used, a cache that
    /// keeps what fits in memory and drops what would spill (each drop a counted failure),
    /// rather than a process that cannot memoize at all.
    static func makeCache(_ configuration: CacheConfiguration) -> SpillingCache {
        do {
            return try SpillingCache(configuration)
        } catch {
            configuration.logger.warning(
                "Memo's spill directory is unusable, values that leave memory will be dropped: \(error)"
            )
            var memoryOnly = configuration
            memoryOnly.persistent = false
            memoryOnly.fileSystem = UnavailableFileSystem(reason: String(describing: error))
            memoryOnly.directory = configuration.directory ?? "/unavailable"
            // Cannot throw: the directory check is a no-op and persistence is off.
            return try! SpillingCache(memoryOnly)
        }
    }

    /// Replaces the shared cache with a new one built from `configuration`; the old one
    /// is cleared (memory and spill files), or, if it is persistent, flushed with its
    /// files kept for later runs. Per-function figures start again.
    ///
    /// - Throws: what ``SpillingCache/init(_:)`` throws; the current cache then stays.
    public static func configure(_ configuration: CacheConfiguration) throws {
        let context = MemoContext(cache: try SpillingCache(configuration))
        let old = shared.withTrackedLock { shared in
            defer { shared = context }
            return shared
        }
        if let old {
            if old.cache.configuration.persistent {
                old.cache.flush()
            } else {
                old.cache.removeAll()
            }
        }
    }

    /// The shared cache.
    public static var cache: SpillingCache { currentContext.cache }

    /// The shared cache's counters and sizes: `Memo.cache.stats`.
    public static var stats: CacheStats { cache.stats }

    /// Empties the shared cache, in memory and on disk (every entry of a persistent
    /// directory too). Counters are kept.
    public static func clear() {
        cache.removeAll()
    }
}
