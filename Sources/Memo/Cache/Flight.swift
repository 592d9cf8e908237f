import Dispatch
import Synchronization

/// One computation of a missing key that other callers wait for (single flight).
///
/// The first caller to miss a key leads: it computes, stores, and finishes the flight.
/// Callers that miss the same key meanwhile wait on the flight, synchronously or with
/// `await`, and receive the same result or error.
final class Flight: Sendable {
    typealias Outcome = Result<any Spillable, any Error>

    /// The outcome a flight ends with when its leader was cancelled: not an error for
    /// the waiters, who look again (and one of them leads).
    struct Handover: Error {}

    private struct State {
        var outcome: Outcome?
        var blockedWaiters = 0
        var suspendedWaiters: [Int: CheckedContinuation<Outcome, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())
    /// Signalled once per blocked waiter when the flight finishes.
    private let finished = DispatchSemaphore(value: 0)

    /// Publishes the outcome and wakes every waiter.
    func finish(_ outcome: Outcome) {
        let (blocked, suspended) = state.withTrackedLock { state in
            state.outcome = outcome
            defer { state.blockedWaiters = 0; state.suspendedWaiters = [:] }
            return (state.blockedWaiters, state.suspendedWaiters)
        }
        for continuation in suspended.values { continuation.resume(returning: outcome) }
        for _ in 0..<blocked { finished.signal() }
    }

    /// Blocks the calling thread until the flight finishes.
    func wait() -> Outcome {
        let early: Outcome? = state.withTrackedLock { state in
            if let outcome = state.outcome { return outcome }
            state.blockedWaiters += 1
            return nil
        }
        if let early { return early }
        finished.wait()
        return state.withTrackedLock { $0.outcome! }
    }

    /// Suspends the calling task until the flight finishes, or until the task is
    /// cancelled: then it returns a `CancellationError` at once and leaves the flight to
    /// the others.
    func wait() async -> Outcome {
        let id = state.withTrackedLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let early: Outcome? = state.withTrackedLock { state in
                    if let outcome = state.outcome { return outcome }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.suspendedWaiters[id] = continuation
                    return nil
                }
                if let early { continuation.resume(returning: early) }
            }
        } onCancel: {
            let waiting = state.withTrackedLock { $0.suspendedWaiters.removeValue(forKey: id) }
            waiting?.resume(returning: .failure(CancellationError()))
        }
    }
}
