import Logging
import Synchronization

/// What the cache tells metrics, and what it knows per function.
extension SpillingCache {
    /// Bytes each function (name and version) holds in this cache, in memory and in the
    /// spill files the cache knows of ("" for values stored directly).
    var bytesByFunction: [StoredFunction: FunctionHoldings] {
        let (functions, bytes, quotas) = state.withTrackedLock {
            ($0.functions, $0.functionBytes, $0.quotas.mapValues(\.bytes))
        }
        var result: [StoredFunction: FunctionHoldings] = [:]
        for (id, (function, held)) in zip(functions, bytes).enumerated() {
            result[function] = FunctionHoldings(
                memory: held.memory, disk: held.disk,
                computeTime: .microseconds(held.computeMicroseconds),
                memoryQuota: quotas[Int32(id)])
        }
        return result
    }

    /// What one function's entries hold in this cache.
    struct FunctionHoldings {
        var memory = 0
        var disk = 0
        var computeTime = Duration.zero
        var memoryQuota: Int?
    }

    /// Counts a failure that its caller logs itself.
    func countFailure() {
        withState { $0.recordFailure() }
    }

    /// Counts and logs a failure outside any batch.
    func recordFailure(_ message: String) {
        let (before, after) = withState { state in
            let before = state.stats.failures
            state.recordFailure()
            return (before, state.stats.failures)
        }
        logFailure(message, from: before, to: after)
    }

    /// Logs a failure when the count crossed a power of two (the 1st, 2nd, 4th, 8th…), so
    /// a failing disk is reported without flooding the log.
    func logFailure(_ message: String, from before: Int, to after: Int) {
        guard Self.crossesPowerOfTwo(from: before, to: after) else { return }
        logger.warning(
            "\(message)",
            metadata: ["failures": "\(after)", "directory": "\(directory)"])
    }

    /// Logs dropped writes when their count crossed a power of two, as failures are.
    func logDroppedWrites(from before: Int, to after: Int) {
        guard Self.crossesPowerOfTwo(from: before, to: after) else { return }
        logger.warning(
            "write-behind queue full: writes dropped; the directory's disk is slower than values arrive",
            metadata: ["droppedWrites": "\(after)", "directory": "\(directory)"])
    }

    /// Whether a count went past a power of two (the 1st, 2nd, 4th, 8th…) from `before`
    /// to `after`: when a growing count is worth a line in the log.
    static func crossesPowerOfTwo(from before: Int, to after: Int) -> Bool {
        guard after > before else { return false }
        var power = 1
        while power <= before { power <<= 1 }
        return power <= after
    }
}
