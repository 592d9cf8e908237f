import Memo
import Synchronization

/// A session-level advisory lock on computing one key, held by a task that keeps its
/// connection until ``release()``.
final class PostgresComputationLock: SharedTierLock {
    private struct State {
        var released = false
        var holder: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    /// Ends the hold: the holder unlocks and returns its connection to the pool.
    func release() async {
        let holder = state.withTrackedLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.released else { return nil }
            state.released = true
            defer { state.holder = nil }
            return state.holder
        }
        holder?.resume()
    }

    /// The holder's side: suspends until ``release()``.
    func waitForRelease() async {
        await withCheckedContinuation { continuation in
            let released = state.withTrackedLock { state -> Bool in
                if state.released { return true }
                state.holder = continuation
                return false
            }
            if released { continuation.resume() }
        }
    }
}

/// Where a lock request meets the task that holds the connection: the caller waits for
/// a connection at most the tier's timeout, then for the lock until the holder's deadline;
/// a holder whose caller gave up unlocks at once.
final class LockHandover: Sendable {
    private enum Phase {
        case connecting
        case connected
        case done
        case abandoned
    }

    private struct State {
        var phase = Phase.connecting
        var result: Result<(any SharedTierLock)?, any Error>?
        var waiter: CheckedContinuation<(any SharedTierLock)?, any Error>?
    }

    /// No connection came within the timeout.
    struct ConnectionTimeout: Error, CustomStringConvertible {
        var description: String { "no connection to the shared tier within its timeout" }
    }

    private let state = Mutex(State())

    var isAbandoned: Bool { state.withTrackedLock { $0.phase == .abandoned } }

    /// The holder has its connection; `false` if the caller already gave up.
    func connected() -> Bool {
        state.withTrackedLock { state in
            guard state.phase == .connecting else { return false }
            state.phase = .connected
            return true
        }
    }

    /// The holder's answer: the lock, or `nil` (not granted in time). `false` if the caller
    /// gave up first: the holder then unlocks.
    @discardableResult
    func finish(_ lock: (any SharedTierLock)?) -> Bool {
        deliver(.success(lock))
    }

    func fail(_ error: any Error) {
        _ = deliver(.failure(error))
    }

    private func deliver(_ result: Result<(any SharedTierLock)?, any Error>) -> Bool {
        let waiter = state.withTrackedLock {
            state -> (CheckedContinuation<(any SharedTierLock)?, any Error>?, Bool) in
            guard state.phase == .connecting || state.phase == .connected else {
                return (nil, false)
            }
            state.phase = .done
            state.result = result
            defer { state.waiter = nil }
            return (state.waiter, true)
        }
        waiter.0?.resume(with: result)
        return waiter.1
    }

    /// The caller's side.
    func wait(connectingWithin timeout: Duration) async throws -> (any SharedTierLock)? {
        try await withCheckedThrowingContinuation { continuation in
            let ready = state.withTrackedLock {
                state -> Result<(any SharedTierLock)?, any Error>? in
                if let result = state.result { return result }
                state.waiter = continuation
                return nil
            }
            if let ready {
                continuation.resume(with: ready)
                return
            }
            // Inherits the caller's executor: the tier's own thread.
            Task {
                try? await Task.sleep(for: timeout)
                let waiter = self.state.withTrackedLock {
                    state -> CheckedContinuation<(any SharedTierLock)?, any Error>? in
                    guard state.phase == .connecting else { return nil }
                    state.phase = .abandoned
                    defer { state.waiter = nil }
                    return state.waiter
                }
                waiter?.resume(throwing: ConnectionTimeout())
            }
        }
    }
}
