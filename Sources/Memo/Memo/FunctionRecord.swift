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

    var snapshot: Counts {
        var counts = misses.withTrackedLock { $0 }
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
