import Synchronization

/// The background refreshes running in the process: what
/// ``Memo/waitForBackgroundWork()`` waits for.
enum BackgroundWork {
    private struct State {
        var next: UInt64 = 0
        /// The works running, by number.
        var running: Set<UInt64> = []
        /// Callers waiting until no work numbered below theirs runs.
        var waiters: [(below: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private static let state = Mutex(State())

    /// Counts a work as started; pass the number to ``end(_:)`` when it ends.
    static func begin() -> UInt64 {
        state.withTrackedLock { state in
            state.next += 1
            state.running.insert(state.next)
            return state.next
        }
    }

    /// Counts the work `id` as ended, resuming the waiters it held up.
    static func end(_ id: UInt64) {
        let resumed = state.withTrackedLock { state in
            state.running.remove(id)
            let oldest = state.running.min() ?? .max
            let (done, waiting) = (
                state.waiters.filter { $0.below <= oldest },
                state.waiters.filter { $0.below > oldest }
            )
            state.waiters = waiting
            return done.map(\.continuation)
        }
        for continuation in resumed { continuation.resume() }
    }

    /// Returns when every work started before the call has ended.
    static func waitForStarted() async {
        await withCheckedContinuation { continuation in
            let done = state.withTrackedLock { state in
                let below = state.next + 1
                guard let oldest = state.running.min(), oldest < below else { return true }
                state.waiters.append((below, continuation))
                return false
            }
            if done { continuation.resume() }
        }
    }
}
