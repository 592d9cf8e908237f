import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The cache's side of a ``SharedTier``: every call bounded by the tier's timeout, a pause
/// after a failure (so a tier that is down costs one timeout, not one per call), and
/// publications in the background.
///
/// Each call runs in a task of its own and the caller waits for it at most `timeout`: a
/// synchronous caller on a semaphore (its own thread, never a NIO event loop's), an async
/// caller on a continuation. What the call returns after the caller gave up is not lost
/// track of: a lock granted too late is released at once.
///
/// The tasks run on a thread of their own (``SharedTierExecutor``), not on Swift's
/// cooperative pool: a synchronous caller may itself be on a cooperative thread, and with
/// every such thread blocked waiting for the tier, work queued on the pool would never run.
final class SharedTierClient: Sendable {
    let tier: any SharedTier
    let timeout: Duration
    let executor = SharedTierExecutor()
    /// Publications allowed in flight at once; past it a publication is dropped (a
    /// failure: sharing is lost, never correctness).
    static let maximumPendingPublications = 256

    private let health = Mutex(Health())
    private let pending = Mutex(0)
    private let failureHandler = Mutex<(@Sendable (String) -> Void)?>(nil)

    /// When the tier may be asked again after failures.
    private struct Health {
        var pausedUntil: ContinuousClock.Instant?
        var pause = Duration.zero
    }

    /// What a call came to.
    enum Answer<Value: Sendable>: Sendable {
        case value(Value)
        /// The tier failed, timed out or was paused; the message says which.
        case failed(String)
        /// The tier refused what it holds (``SharedTierError/rejected(_:)``, such as a
        /// wrong signature): the tier works, the value does not.
        case rejected(String)
        /// The tier is paused after failures: not asked.
        case skipped
    }

    init(_ tier: any SharedTier) {
        self.tier = tier
        self.timeout = tier.timeout
    }

    /// Where failures of background work (publications) are reported.
    func onFailure(_ handler: @escaping @Sendable (String) -> Void) {
        failureHandler.withTrackedLock { $0 = handler }
    }

    // MARK: Calls

    /// The tier's bytes for `key` and their age, waiting at most the timeout (blocking
    /// this thread).
    func fetch(_ key: CacheKey) -> Answer<SharedTierEntry?> {
        blocking("fetch of \(key.hex)") { [tier] in try await tier.fetchWithAge(key) }
    }

    /// Removes the tier's value of `key`, waiting at most the timeout.
    func remove(_ key: CacheKey) -> Answer<Bool> {
        blocking("removal of \(key.hex)") { [tier] in try await tier.remove(key) }
    }

    /// The fleet-wide lock on computing `key`: waits at most the tier's computation wait
    /// for another holder, plus the timeout for the tier itself.
    func lock(_ key: CacheKey) -> Answer<(any SharedTierLock)?> {
        blocking("lock of \(key.hex)", within: lockDeadline, late: Self.releaseLate) {
            [tier] in
            try await tier.lockComputation(of: key, waitingAtMost: tier.computationWait)
        }
    }

    /// How long a lock request may take in all.
    private var lockDeadline: Duration { tier.computationWait + timeout }

    /// A lock granted after its caller gave up waiting: nobody computes under it.
    private static let releaseLate: @Sendable ((any SharedTierLock)?) async -> Void = {
        await $0?.release()
    }

    /// Publishes `value` under `key` in the background, then releases `lock` (if given).
    /// Encoding happens in the background too: the caller pays nothing.
    func publish(
        _ value: any Spillable, forKey key: CacheKey, function: StoredFunction,
        releasing lock: (any SharedTierLock)?
    ) {
        let admitted = pending.withTrackedLock { count in
            guard count < Self.maximumPendingPublications else { return false }
            count += 1
            return true
        }
        guard admitted else {
            report("publication of \(key.hex) dropped: \(Self.maximumPendingPublications) pending")
            if let lock { Task(executorPreference: executor) { await lock.release() } }
            return
        }
        Task(executorPreference: executor) { [self] in
            defer { pending.withTrackedLock { $0 -= 1 } }
            do {
                let payload = try SpillFileFormat.encode(value, key: key, function: function).bytes
                let answer = await awaiting("publication of \(key.hex)") { [tier] in
                    try await tier.publish(
                        key, function: function.name, version: function.version, payload: payload)
                }
                switch answer {
                case .failed(let message), .rejected(let message): report(message)
                case .value, .skipped: break
                }
            } catch {
                report("publication of \(key.hex) failed: \(error)")
            }
            await lock?.release()
        }
    }

    /// Releases a lock in the background (``waitForPublications()`` waits for it too).
    func release(_ lock: (any SharedTierLock)?) {
        guard let lock else { return }
        pending.withTrackedLock { $0 += 1 }
        Task(executorPreference: executor) { [self] in
            await lock.release()
            pending.withTrackedLock { $0 -= 1 }
        }
    }

    /// Waits until every publication and lock release started so far has finished. They
    /// run at once, each bounded by the timeout, so this waits at most about twice the
    /// timeout.
    func waitForPublications() {
        let deadline = ContinuousClock.now + timeout * 2 + .milliseconds(100)
        while pending.withTrackedLock({ $0 }) > 0, ContinuousClock.now < deadline {
            usleep(1_000)
        }
    }

    // MARK: Timeouts and pauses

    /// Runs `operation` in a task and blocks this thread until it returns or the timeout
    /// passes.
    private func blocking<Value: Sendable>(
        _ what: String, within limit: Duration? = nil,
        late: @escaping @Sendable (Value) async -> Void = { _ in },
        _ operation: @escaping @Sendable () async throws -> Value
    ) -> Answer<Value> {
        guard isAvailable else { return .skipped }
        let timeout = limit ?? self.timeout
        let slot = Slot<Value>()
        let semaphore = DispatchSemaphore(value: 0)
        Task(executorPreference: executor) {
            let result: Result<Value, any Error>
            do { result = .success(try await operation()) } catch { result = .failure(error) }
            if slot.deliver(result) {
                semaphore.signal()
            } else if case .success(let value) = result {
                await late(value)
            }
        }
        if semaphore.wait(timeout: .now() + timeout.dispatchInterval) == .timedOut,
            slot.abandon()
        {
            return failed("\(what) timed out after \(timeout)")
        }
        return settle(slot.result!, what)
    }

    /// Runs `operation` in a task and suspends until it returns or the timeout passes;
    /// no thread is blocked.
    private func awaiting<Value: Sendable>(
        _ what: String, within limit: Duration? = nil,
        late: @escaping @Sendable (Value) async -> Void = { _ in },
        _ operation: @escaping @Sendable () async throws -> Value
    ) async -> Answer<Value> {
        guard isAvailable else { return .skipped }
        let slot = Slot<Value>()
        let timeout = limit ?? self.timeout
        let outcome: Result<Value, any Error>? = await withCheckedContinuation { continuation in
            slot.waiter(continuation)
            let timer = Task(executorPreference: executor) {
                try? await Task.sleep(for: timeout)
                if slot.abandon() { slot.resumeWaiter(nil) }
            }
            Task(executorPreference: executor) {
                let result: Result<Value, any Error>
                do { result = .success(try await operation()) } catch { result = .failure(error) }
                if slot.deliver(result) {
                    timer.cancel()
                    slot.resumeWaiter(result)
                } else if case .success(let value) = result {
                    await late(value)
                }
            }
        }
        guard let outcome else { return failed("\(what) timed out after \(timeout)") }
        return settle(outcome, what)
    }

    private func settle<Value: Sendable>(
        _ result: Result<Value, any Error>, _ what: String
    ) -> Answer<Value> {
        switch result {
        case .success(let value):
            health.withTrackedLock { $0 = Health() }
            return .value(value)
        case .failure(let error as SharedTierError):
            // The tier answered (a refused value, a schema it cannot use): no pause.
            if case .rejected = error { return .rejected("\(what): \(error)") }
            return .failed("\(what): \(error)")
        case .failure(let error):
            return failed("\(what) failed: \(error)")
        }
    }

    /// Records a failure and pauses the tier: 0.5 s, doubling to 30 s while failures go
    /// on; the first call after a pause tries again.
    private func failed<Value>(_ message: String) -> Answer<Value> {
        health.withTrackedLock { health in
            health.pause =
                health.pause == .zero ? .milliseconds(500) : min(health.pause * 2, .seconds(30))
            health.pausedUntil = ContinuousClock.now + health.pause
        }
        return .failed(message)
    }

    private var isAvailable: Bool {
        health.withTrackedLock { health in
            guard let until = health.pausedUntil else { return true }
            return ContinuousClock.now >= until
        }
    }

    private func report(_ message: String) {
        failureHandler.withTrackedLock { $0 }?(message)
    }
}

/// Where a call's result meets its waiter: the first of delivery and abandonment wins.
private final class Slot<Value: Sendable>: Sendable {
    private enum State {
        case waiting
        case delivered(Result<Value, any Error>)
        case abandoned
    }

    private let state = Mutex<State>(.waiting)
    private let continuation = Mutex<CheckedContinuation<Result<Value, any Error>?, Never>?>(nil)

    /// Hands the result over; `false` if the waiter already gave up.
    func deliver(_ result: Result<Value, any Error>) -> Bool {
        state.withTrackedLock { state in
            guard case .waiting = state else { return false }
            state = .delivered(result)
            return true
        }
    }

    /// Gives up waiting; `false` if the result was delivered first.
    func abandon() -> Bool {
        state.withTrackedLock { state in
            guard case .waiting = state else { return false }
            state = .abandoned
            return true
        }
    }

    var result: Result<Value, any Error>? {
        state.withTrackedLock { state in
            if case .delivered(let result) = state { return result }
            return nil
        }
    }

    func waiter(_ waiting: CheckedContinuation<Result<Value, any Error>?, Never>) {
        continuation.withTrackedLock { $0 = waiting }
    }

    /// Resumes the async waiter (once).
    func resumeWaiter(_ result: Result<Value, any Error>?) {
        let waiting = continuation.withTrackedLock { continuation in
            defer { continuation = nil }
            return continuation
        }
        waiting?.resume(returning: result)
    }
}
