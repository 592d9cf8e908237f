import Synchronization

/// What the cache tells metrics, and what it knows per function.
extension SpillingCache {
    /// Runs `body` on the state under its lock, then, with the lock released, reports to
    /// metrics the events and size changes `body` caused (nothing when metrics are off,
    /// and nothing but a flag's test when nothing changed, as on a hit).
    @inline(__always)
    func withState<Result: Sendable>(_ body: (inout CacheState) -> Result) -> Result {
        let (result, events) = state.withTrackedLock { state in
            table.exclusively(draining: { state.applyTouches($0) }) {
                (body(&state), state.takeMetricEvents())
            }
        }
        if let events { metrics?.report(events) }
        return result
    }

    /// Bytes each function (name and version) holds in this cache, in memory and in the
    /// spill files the cache knows of ("" for values stored directly).
    var bytesByFunction: [StoredFunction: (memory: Int, disk: Int)] {
        let (functions, bytes) = state.withTrackedLock { ($0.functions, $0.functionBytes) }
        var result: [StoredFunction: (memory: Int, disk: Int)] = [:]
        for (function, held) in zip(functions, bytes) {
            result[function] = (held.memory, held.disk)
        }
        return result
    }
}
