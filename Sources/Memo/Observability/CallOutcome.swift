/// What one lookup or get-or-compute call came to: what `Memo.report()` and the hit and
/// miss metrics count.
enum CallOutcome: Equatable {
    /// A value was returned without computing it: from memory (or from a concurrent
    /// caller's computation), or read from disk.
    case hit(fromDisk: Bool)
    /// No usable value, for this reason (the body ran, or the lookup returned `nil`).
    case miss(MissReason)
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
