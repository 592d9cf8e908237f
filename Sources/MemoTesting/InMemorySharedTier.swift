public import Memo
import Synchronization

/// A `SharedTier` (from Memo) in memory, for tests: several caches given the same instance behave
/// as machines sharing one tier. It can be made slow, taken down, and have its stored
/// bytes changed behind the caches' backs.
///
/// ```swift
/// let tier = InMemorySharedTier()
/// var config = isolatedConfiguration()
/// config.sharedTier = tier
/// let machineA = try SpillingCache(config), machineB = try SpillingCache(config)
/// ```
public final class InMemorySharedTier: SharedTier {
    /// What a call does besides its work: wait, and then fail or not.
    private struct State {
        var values: [CacheKey: [UInt8]] = [:]
        /// When each value was published, on `clock`.
        var publishedAt: [CacheKey: Duration] = [:]
        var functions: [CacheKey: String] = [:]
        var latency = Duration.zero
        var isDown = false
        var fetches = 0
        var publications = 0
        var heldLocks: Set<CacheKey> = []
    }

    private let state = Mutex(State())
    public let timeout: Duration
    public let computationWait: Duration
    /// What the ages of its values are measured with.
    private let clock: any CacheClock

    /// A tier whose callers wait at most `timeout` per call, and `computationWait` for
    /// another cache computing the same key; the ages of its values are measured on
    /// `clock` (give the caches' ``TestClock`` to drive them).
    ///
    /// The default timeout is long for a tier in memory on purpose: a test that is not about
    /// timeouts must not see one because its machine is busy (a parallel test run on two
    /// cores can stall a call for seconds, and one timed-out call pauses the tier). A test
    /// of timeouts gives its own, with ``setLatency(_:)``.
    public init(
        timeout: Duration = .seconds(10), computationWait: Duration = .seconds(30),
        clock: any CacheClock = SystemCacheClock()
    ) {
        self.timeout = timeout
        self.computationWait = computationWait
        self.clock = clock
    }

    /// Every call sleeps this long first (a slow network or server).
    public func setLatency(_ latency: Duration) {
        state.withTrackedLock { $0.latency = latency }
    }

    /// While down, every call fails at once (a refused connection).
    public func setDown(_ down: Bool) {
        state.withTrackedLock { $0.isDown = down }
    }

    /// The stored bytes of `key`.
    public func storedBytes(_ key: CacheKey) -> [UInt8]? {
        state.withTrackedLock { $0.values[key] }
    }

    /// Replaces the stored bytes of `key` behind the caches' backs (a tampered row).
    public func replaceStoredBytes(_ key: CacheKey, with bytes: [UInt8]) {
        state.withTrackedLock { $0.values[key] = bytes }
    }

    /// How many values are stored.
    public var count: Int { state.withTrackedLock { $0.values.count } }
    /// How many fetches were answered.
    public var fetchCount: Int { state.withTrackedLock { $0.fetches } }
    /// How many publications were stored.
    public var publicationCount: Int { state.withTrackedLock { $0.publications } }

    /// The error a down tier throws.
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String { "the in-memory shared tier is down" }
    }

    private func arrive() async throws {
        let (latency, down) = state.withTrackedLock { ($0.latency, $0.isDown) }
        if down { throw Unavailable() }
        if latency > .zero { try await Task.sleep(for: latency) }
        if state.withTrackedLock({ $0.isDown }) { throw Unavailable() }
    }

    public func fetch(_ key: CacheKey) async throws -> [UInt8]? {
        try await arrive()
        return state.withTrackedLock { state in
            state.fetches += 1
            return state.values[key]
        }
    }

    /// The stored bytes of `key` and the time since they were published.
    public func fetchWithAge(_ key: CacheKey) async throws -> SharedTierEntry? {
        try await arrive()
        let now = clock.now
        return state.withTrackedLock { state in
            state.fetches += 1
            guard let payload = state.values[key] else { return nil }
            return SharedTierEntry(payload: payload, age: now - (state.publishedAt[key] ?? now))
        }
    }

    /// Removes the value of `key`.
    public func remove(_ key: CacheKey) async throws -> Bool {
        try await arrive()
        return state.withTrackedLock { state in
            state.publishedAt[key] = nil
            state.functions[key] = nil
            return state.values.removeValue(forKey: key) != nil
        }
    }

    public func publish(
        _ key: CacheKey, function: String, version: Int, payload: [UInt8]
    ) async throws {
        try await arrive()
        let now = clock.now
        state.withTrackedLock { state in
            state.values[key] = payload
            state.publishedAt[key] = now
            state.functions[key] = function
            state.publications += 1
        }
    }

    public func lockComputation(
        of key: CacheKey, waitingAtMost wait: Duration
    ) async throws -> (any SharedTierLock)? {
        try await arrive()
        let deadline = ContinuousClock.now + wait
        while true {
            let granted = state.withTrackedLock { $0.heldLocks.insert(key).inserted }
            if granted { return HeldLock(tier: self, key: key) }
            guard ContinuousClock.now < deadline else { return nil }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    fileprivate func unlock(_ key: CacheKey) {
        _ = state.withTrackedLock { $0.heldLocks.remove(key) }
    }

    /// Whether `key`'s computation lock is held.
    public func isLocked(_ key: CacheKey) -> Bool {
        state.withTrackedLock { $0.heldLocks.contains(key) }
    }
}

/// A held lock of an ``InMemorySharedTier``.
private final class HeldLock: SharedTierLock {
    let tier: InMemorySharedTier
    let key: CacheKey
    private let released = Atomic(false)

    init(tier: InMemorySharedTier, key: CacheKey) {
        self.tier = tier
        self.key = key
    }

    func release() async {
        if !released.exchange(true, ordering: .relaxed) { tier.unlock(key) }
    }
}
