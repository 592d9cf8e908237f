import Synchronization

/// One memoized function's figures in one context: hits, misses and the time its body
/// ran. Hits and misses are atomic counters, so a hit takes no lock here.
final class FunctionRecord: Sendable {
    struct Counts: Sendable {
        var hits = 0
        var misses = 0
        /// Total time spent running the body, over the misses that completed.
        var computeTime = Duration.zero
        var completedComputations = 0
    }

    let name: String
    private let hits = Atomic(0)
    private let misses = Atomic(0)
    private let computations = Mutex((time: Duration.zero, count: 0))

    init(name: String) {
        self.name = name
    }

    /// Records a call that returned a cached (or concurrently computed) value.
    func recordHit() {
        hits.add(1, ordering: .relaxed)
    }

    /// Records a call that ran the body; `computeTime` is `nil` when the body threw.
    func recordMiss(computeTime: Duration?) {
        misses.add(1, ordering: .relaxed)
        if let computeTime {
            computations.withTrackedLock { $0 = ($0.time + computeTime, $0.count + 1) }
        }
    }

    var snapshot: Counts {
        let (time, count) = computations.withTrackedLock { $0 }
        return Counts(
            hits: hits.load(ordering: .relaxed), misses: misses.load(ordering: .relaxed),
            computeTime: time, completedComputations: count)
    }
}

extension FunctionRecord.Counts {
    /// The time the hits would have cost: the average computation times the hits.
    var timeSaved: Duration {
        guard completedComputations > 0 else { return .zero }
        return computeTime / completedComputations * hits
    }
}
