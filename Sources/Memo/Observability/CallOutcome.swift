/// What one lookup or get-or-compute call came to: what `Memo.report()` and the hit and
/// miss metrics count.
enum CallOutcome: Equatable {
    /// A value was returned without computing it: from memory (or from a concurrent
    /// caller's computation), read from disk, or fetched from the shared tier.
    case hit(from: HitSource)
    /// No usable value, for this reason (the body ran, or the lookup returned `nil`).
    case miss(MissReason)
}

/// Where a hit's value came from.
enum HitSource: Equatable {
    case memory
    case disk
    case shared
}

extension FunctionMetrics {
    /// Counts one call.
    func record(_ outcome: CallOutcome) {
        switch outcome {
        case .hit: recordHit()
        case .miss(let reason): recordMiss(reason)
        }
    }
}
