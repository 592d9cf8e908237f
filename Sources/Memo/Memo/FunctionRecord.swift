import Synchronization

/// One memoized function's figures: hits, misses and the time its body ran.
final class FunctionRecord: Sendable {
    struct Counts: Sendable {
        var hits = 0
        var misses = 0
        /// Total time spent running the body, over the misses that completed.
        var computeTime = Duration.zero
        var completedComputations = 0
    }

    let name: String
    private let counts = Mutex(Counts())

    init(name: String) {
        self.name = name
    }

    /// Records a call that returned a cached (or concurrently computed) value.
    func recordHit() {
        counts.withTrackedLock { $0.hits += 1 }
    }

    /// Records a call that ran the body; `computeTime` is `nil` when the body threw.
    func recordMiss(computeTime: Duration?) {
        counts.withTrackedLock { counts in
            counts.misses += 1
            if let computeTime {
                counts.computeTime += computeTime
                counts.completedComputations += 1
            }
        }
    }

    var snapshot: Counts { counts.withTrackedLock { $0 } }
}

extension FunctionRecord.Counts {
    /// The time the hits would have cost: the average computation times the hits.
    var timeSaved: Duration {
        guard completedComputations > 0 else { return .zero }
        return computeTime / completedComputations * hits
    }
}
