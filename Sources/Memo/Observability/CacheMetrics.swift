import CoreMetrics

/// A cache's swift-metrics instruments, created once with the cache (and once per
/// function), so that counting an event is one call on an existing instrument.
///
/// | metric | kind | dimensions |
/// | --- | --- | --- |
/// | `memo_hits_total` | counter | `cache`, `function` (memoized calls) |
/// | `memo_misses_total` | counter | `cache`, `function` (memoized calls), `reason` |
/// | `memo_stale_hits_total`, `memo_refreshes_total` | counter | `cache`, `function` (see ``Freshness``) |
/// | `memo_spills_total`, `memo_evictions_total`, `memo_expirations_total`, `memo_failures_total` | counter | `cache` |
/// | `memo_memory_bytes`, `memo_disk_bytes`, `memo_entries` | gauge | `cache` |
///
/// Gauges are recorded when the sizes change, never polled.
final class CacheMetrics: Sendable {
    let name: String
    let factory: any MetricsFactory
    let spills: Counter
    let evictions: Counter
    let expirations: Counter
    let failures: Counter
    let memoryBytes: Gauge
    let diskBytes: Gauge
    let entries: Gauge
    /// Hits and misses of calls outside memoized functions (no `function` dimension).
    let direct: FunctionMetrics
    /// `direct`, for the hit path (see `FunctionMetrics.recordHit(_:)`).
    let unretainedDirect: Unmanaged<FunctionMetrics>

    init(cache name: String, factory: any MetricsFactory) {
        self.name = name
        self.factory = factory
        let dimensions = [("cache", name)]
        spills = Counter(label: "memo_spills_total", dimensions: dimensions, factory: factory)
        evictions = Counter(label: "memo_evictions_total", dimensions: dimensions, factory: factory)
        expirations = Counter(
            label: "memo_expirations_total", dimensions: dimensions, factory: factory)
        failures = Counter(label: "memo_failures_total", dimensions: dimensions, factory: factory)
        memoryBytes = Gauge(label: "memo_memory_bytes", dimensions: dimensions, factory: factory)
        diskBytes = Gauge(label: "memo_disk_bytes", dimensions: dimensions, factory: factory)
        entries = Gauge(label: "memo_entries", dimensions: dimensions, factory: factory)
        direct = FunctionMetrics(cache: name, function: nil, factory: factory)
        unretainedDirect = Unmanaged.passUnretained(direct)
    }

    /// The instruments of `destination`, or `nil` when metrics are off.
    static func make(_ destination: MetricsDestination, cache name: String) -> CacheMetrics? {
        switch destination {
        case .off: return nil
        case .system: return CacheMetrics(cache: name, factory: MetricsSystem.factory)
        case .factory(let factory): return CacheMetrics(cache: name, factory: factory)
        }
    }

    /// The hit and miss counters of one memoized function.
    func function(_ name: String) -> FunctionMetrics {
        FunctionMetrics(cache: self.name, function: name, factory: factory)
    }

    /// Reports what the state accumulated since it was last asked.
    func report(_ events: MetricEvents) {
        if events.spills > 0 { spills.increment(by: events.spills) }
        if events.evictions > 0 { evictions.increment(by: events.evictions) }
        if events.expirations > 0 { expirations.increment(by: events.expirations) }
        if events.failures > 0 { failures.increment(by: events.failures) }
        if let sizes = events.sizes {
            memoryBytes.record(sizes.memoryBytes)
            diskBytes.record(sizes.diskBytes)
            entries.record(sizes.entries)
        }
    }
}

/// The hit counter and the miss counters (one per reason) of one function in one cache.
///
/// A class, not a struct: reading a struct of counters out of a shared object copies it,
/// retaining each counter, and the counters' reference counts were then lines that every
/// thread's hits wrote (two threads of hits ran slower than one).
final class FunctionMetrics: Sendable {
    let hits: Counter
    /// Indexed like `MissReason.allCases`.
    let misses: [Counter]
    /// Hits on results past their ``Freshness``'s `after`.
    let staleHits: Counter
    /// Refreshes that replaced a result (background or asked for).
    let refreshes: Counter

    init(cache: String, function: String?, factory: any MetricsFactory) {
        var dimensions = [("cache", cache)]
        if let function { dimensions.append(("function", function)) }
        hits = Counter(label: "memo_hits_total", dimensions: dimensions, factory: factory)
        misses = MissReason.allCases.map { reason in
            Counter(
                label: "memo_misses_total", dimensions: dimensions + [("reason", reason.rawValue)],
                factory: factory)
        }
        staleHits = Counter(
            label: "memo_stale_hits_total", dimensions: dimensions, factory: factory)
        refreshes = Counter(
            label: "memo_refreshes_total", dimensions: dimensions, factory: factory)
    }

    func recordHit() { hits.increment() }

    func recordStaleHit() { staleHits.increment() }

    func recordRefresh() { refreshes.increment() }

    /// Records a hit in the instruments `metrics` refers to, without retaining them: they
    /// are shared by every thread, and a retain around each use wrote their reference
    /// count, one line that every thread's hits moved between cores (two threads of hits
    /// ran slower than one). Whoever holds `metrics` keeps a strong reference too.
    @inline(__always)
    static func recordHit(_ metrics: Unmanaged<FunctionMetrics>?) {
        metrics?._withUnsafeGuaranteedRef { $0.recordHit() }
    }

    func recordMiss(_ reason: MissReason) { misses[reason.index].increment() }
}

extension MissReason {
    /// The position in `allCases`.
    var index: Int {
        switch self {
        case .newKey: 0
        case .expired: 1
        case .evicted: 2
        case .corrupt: 3
        case .otherType: 4
        case .versionChanged: 5
        case .unkeyable: 6
        }
    }
}
