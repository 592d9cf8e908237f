import Synchronization

/// One memoized function's figures in one context: hits from memory and from disk,
/// misses by reason, and the time its body ran; and its hit and miss metrics. Hits are
/// atomic counters, so a hit takes no lock here; a miss, which runs the body anyway,
/// takes a small one.
final class FunctionRecord: Sendable {
    /// A snapshot of the figures.
    struct Counts: Sendable {
        var memoryHits = 0
        var diskHits = 0
        var sharedHits = 0
        /// Misses by reason, indexed like `MissReason.allCases`.
        var missesByReason = [Int](repeating: 0, count: MissReason.allCases.count)
        /// Total time spent running the body, over the misses that completed.
        var computeTime = Duration.zero
        var completedComputations = 0
        /// Hits on stale results (part of the hits).
        var staleHits = 0
        var refreshes = 0
        var refreshFailures = 0
        /// Failed computations that returned an old result instead (part of the hits).
        var staleOnErrorHits = 0

        var hits: Int { memoryHits + diskHits + sharedHits }
        var misses: Int { missesByReason.reduce(0, +) }
    }

    /// The name in the report: the identity, and the version when not 0.
    let name: String
    /// The function's identity and version (the identity is the `function` dimension of
    /// its metrics).
    let function: StoredFunction
    /// Hits from memory, the hot count: striped, so threads hitting one function do not
    /// share a line.
    private let memoryHits = StripedCounter()
    private let diskHits = Atomic(0)
    private let sharedHits = Atomic(0)
    private let misses = Mutex(Counts())
    /// The freshness figures (see ``Freshness``), in the same order as in `Counts`.
    private let staleHits = StripedCounter()
    private let refreshes = Atomic(0)
    private let refreshFailures = Atomic(0)
    private let staleOnErrorHits = Atomic(0)
    /// The function's hit and miss counters; `nil` when the cache's metrics are off.
    let metrics: FunctionMetrics?
    /// `metrics`, for the hit path (see `FunctionMetrics.recordHit(_:)`).
    private let unretainedMetrics: Unmanaged<FunctionMetrics>?

    init(name: String, function: StoredFunction, metrics: FunctionMetrics?) {
        self.name = name
        self.function = function
        self.metrics = metrics
        self.unretainedMetrics = metrics.map(Unmanaged.passUnretained)
    }

    /// Records a hit from memory: the hit path's share of ``record(_:computeTime:)``.
    /// `stripe` is the calling thread's stripe number (see ``StripedCounter``).
    @inline(__always)
    func recordMemoryHit(stripe: Int) {
        memoryHits.increment(stripe: stripe)
        FunctionMetrics.recordHit(unretainedMetrics)
    }

    /// Records one call: a hit, or a miss whose body ran for `computeTime` (`nil` when it
    /// threw, or when another caller's computation was shared).
    @inline(__always)
    func record(_ outcome: CallOutcome, computeTime: Duration?) {
        switch outcome {
        case .hit(let source):
            switch source {
            case .memory: memoryHits.increment()
            case .disk: diskHits.add(1, ordering: .relaxed)
            case .shared: sharedHits.add(1, ordering: .relaxed)
            }
            metrics?.recordHit()
        case .miss(let reason):
            misses.withTrackedLock { counts in
                counts.missesByReason[reason.index] += 1
                if let computeTime {
                    counts.computeTime += computeTime
                    counts.completedComputations += 1
                }
            }
            metrics?.recordMiss(reason)
        }
    }

    /// Records a hit on a stale result (its hit is recorded as any other).
    func recordStaleHit() {
        staleHits.increment()
        metrics?.recordStaleHit()
    }

    /// Records a refresh that replaced a result, or one that failed.
    func recordRefresh(succeeded: Bool) {
        if succeeded {
            refreshes.add(1, ordering: .relaxed)
            metrics?.recordRefresh()
        } else {
            refreshFailures.add(1, ordering: .relaxed)
        }
    }

    /// Records a failed computation that returned an old result: a hit from memory.
    func recordStaleOnErrorHit() {
        staleOnErrorHits.add(1, ordering: .relaxed)
        record(.hit(from: .memory), computeTime: nil)
    }

    var snapshot: Counts {
        var counts = misses.withTrackedLock { $0 }
        counts.staleHits = staleHits.value
        counts.refreshes = refreshes.load(ordering: .relaxed)
        counts.refreshFailures = refreshFailures.load(ordering: .relaxed)
        counts.staleOnErrorHits = staleOnErrorHits.load(ordering: .relaxed)
        counts.memoryHits = memoryHits.value
        counts.diskHits = diskHits.load(ordering: .relaxed)
        counts.sharedHits = sharedHits.load(ordering: .relaxed)
        return counts
    }
}

extension FunctionRecord.Counts {
    /// The time the hits would have cost: the average computation times the hits.
    var timeSaved: Duration {
        guard completedComputations > 0 else { return .zero }
        return computeTime / completedComputations * hits
    }
}
