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
    /// The shared context, as the bits of an unretained reference (0 until first use).
    /// A call reads it with one atomic load and takes no lock: only `configure` pays.
    private static let current = Atomic<UInt>(0)
    /// Every context ever made current, kept alive for the life of the process: a call
    /// that loaded `current` just before `configure` replaced it still holds a valid
    /// reference without having retained it. A replaced context is emptied or flushed, so
    /// what it keeps is its empty bookkeeping (about 10 KB: the entry table's parts and
    /// stripes); `configure` is rare.
    private static let installed = Mutex<[MemoContext]>([])

    /// A context that replaces the shared one for a task and its children
    /// (`MemoTesting`'s `withIsolatedMemo`).
    @TaskLocal package static var isolatedContext: MemoContext?
    /// Whether any task was ever given an isolated context; until one is, calls skip the
    /// task-local lookup. Set before the first isolated context is bound, in the task
    /// that binds it, so that task and its children see it.
    private static let isolationUsed = Atomic<Bool>(false)

    /// Called before a task first binds ``isolatedContext``: from then on calls look for it.
    package static func noteIsolatedContext() {
        isolationUsed.store(true, ordering: .releasing)
    }

    /// The context calls use right now.
    package static var currentContext: MemoContext {
        if isolationUsed.load(ordering: .relaxed), let isolated = isolatedContext {
            return isolated
        }
        let bits = current.load(ordering: .acquiring)
        guard bits != 0 else { return installDefaultContext() }
        return Unmanaged<MemoContext>.fromOpaque(UnsafeRawPointer(bitPattern: bits)!)
            .takeUnretainedValue()
    }

    /// Runs `body` with the context calls use right now, without retaining it (the hit
    /// path: the shared context is never deallocated, an isolated one is held by its
    /// task-local binding for the whole call).
    @inline(__always)
    package static func withCurrentContext<Result>(_ body: (MemoContext) -> Result) -> Result {
        if isolationUsed.load(ordering: .relaxed), let isolated = isolatedContext {
            return body(isolated)
        }
        let bits = current.load(ordering: .acquiring)
        guard bits != 0 else { return body(installDefaultContext()) }
        return Unmanaged<MemoContext>.fromOpaque(UnsafeRawPointer(bitPattern: bits)!)
            ._withUnsafeGuaranteedRef(body)
    }

    /// Makes `context` current; returns the one it replaces.
    private static func install(_ context: MemoContext) -> MemoContext? {
        installed.withTrackedLock { installed in
            installed.append(context)
            let bits = UInt(bitPattern: Unmanaged.passUnretained(context).toOpaque())
            let old = current.exchange(bits, ordering: .acquiringAndReleasing)
            return old == 0
                ? nil
                : Unmanaged<MemoContext>.fromOpaque(
                    UnsafeRawPointer(bitPattern: old)!
                ).takeUnretainedValue()
        }
    }

    /// The first call's context, with the default configuration. Its cache is made
    /// outside the lock (making it creates a directory); of two racing first callers, the
    /// one that installs first wins and the other's cache is emptied and dropped unused.
    private static func installDefaultContext() -> MemoContext {
        let context = MemoContext(cache: makeDefaultCache())
        let bits = UInt(bitPattern: Unmanaged.passUnretained(context).toOpaque())
        let won = installed.withTrackedLock { installed in
            guard
                current.compareExchange(
                    expected: 0, desired: bits, ordering: .acquiringAndReleasing
                ).exchanged
            else { return false }
            installed.append(context)
            return true
        }
        if won { return context }
        context.cache.removeAll()
        return currentContext
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
    /// files kept for later runs, and its directory let go of (its index closed, so
    /// `memo verify --repair` may rebuild it). Per-function figures start again.
    ///
    /// - Throws: what ``SpillingCache/init(_:)`` throws; the current cache then stays.
    public static func configure(_ configuration: CacheConfiguration) throws {
        let context = MemoContext(cache: try SpillingCache(configuration))
        if let old = install(context) {
            if old.cache.configuration.persistent {
                old.cache.retire()
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
