/// A tier of results shared by a fleet of machines, between the local directory and
/// computing: memory, then local disk, then the shared tier, then compute.
///
/// `MemoPostgres`' `PostgresTier` is the implementation on PostgreSQL; `MemoTesting` has
/// an in-memory one. The cache calls a tier off its callers' paths where it can (each
/// computed value is published in the background) and never waits on one longer than its
/// ``timeout``: a tier that is down, slow or restarting costs a call at most that, then the
/// cache works locally and counts a failure (and for a while after a failure, it does not
/// ask the tier at all).
///
/// A tier stores bytes: the spill-file encoding of a value, which carries its key, its
/// function and version, its type and an XXH3 checksum. The cache checks all of them on
/// every value it fetches, so a tier that returns damaged or planted bytes causes a miss,
/// never a wrong value. A tier may add checks of its own (an HMAC signature) and throw
/// ``SharedTierError/rejected(_:)`` for what fails them.
public protocol SharedTier: Sendable {
    /// The longest the cache waits for any one call (1 s is the usual default).
    var timeout: Duration { get }

    /// The longest a caller waits for another machine computing the same key (the lock of
    /// ``lockComputation(of:waitingAtMost:)``), before it computes the value itself. Not a
    /// fault: the holder is working. 30 s unless the tier says otherwise.
    var computationWait: Duration { get }

    /// The bytes stored under `key`, or `nil` when the tier has none.
    func fetch(_ key: CacheKey) async throws -> [UInt8]?

    /// The bytes stored under `key` and their age (the time since they were published),
    /// or `nil` when the tier has none: what lets a ``Freshness`` hold across machines.
    /// The default calls ``fetch(_:)`` and reports every value as just published.
    func fetchWithAge(_ key: CacheKey) async throws -> SharedTierEntry?

    /// Removes the value under `key`; `true` if there was one. The default throws
    /// ``SharedTierError/unusable(_:)``: a tier that cannot remove values.
    func remove(_ key: CacheKey) async throws -> Bool

    /// Stores `payload` under `key`, replacing any earlier value, for the function named
    /// `function` at `version`.
    func publish(_ key: CacheKey, function: String, version: Int, payload: [UInt8]) async throws

    /// Takes the fleet-wide lock on computing `key`, waiting at most `wait` for another
    /// holder to release it. The lock of a holder that dies (a killed process, a lost
    /// connection) must be released by the tier.
    ///
    /// - Returns: the held lock, or `nil` if it was not granted within `wait`.
    func lockComputation(of key: CacheKey, waitingAtMost wait: Duration) async throws
        -> (any SharedTierLock)?
}

extension SharedTier {
    /// 30 seconds.
    public var computationWait: Duration { .seconds(30) }

    /// ``fetch(_:)``, with an age of zero.
    public func fetchWithAge(_ key: CacheKey) async throws -> SharedTierEntry? {
        try await fetch(key).map { SharedTierEntry(payload: $0, age: .zero) }
    }

    /// Throws ``SharedTierError/unusable(_:)``: this tier cannot remove values.
    public func remove(_ key: CacheKey) async throws -> Bool {
        throw SharedTierError.unusable("this tier cannot remove values")
    }
}

/// A value a ``SharedTier`` holds: its bytes and how long ago it was published.
public struct SharedTierEntry: Sendable, Equatable {
    /// The spill-file encoding of the value.
    public var payload: [UInt8]
    /// The time since the value was published, on the tier's clock (never negative).
    public var age: Duration

    /// An entry of `payload`, published `age` ago.
    public init(payload: [UInt8], age: Duration) {
        self.payload = payload
        self.age = max(.zero, age)
    }
}

/// A fleet-wide lock on computing one key, from ``SharedTier/lockComputation(of:waitingAtMost:)``.
public protocol SharedTierLock: Sendable {
    /// Releases the lock (at most once; later calls do nothing).
    func release() async
}

/// Why a shared tier refused a call.
public enum SharedTierError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stored value failed the tier's own checks (such as its signature): a miss.
    case rejected(String)
    /// The tier cannot be used (a schema from a newer release, say); the message says why.
    case unusable(String)

    /// A sentence saying what went wrong.
    public var description: String {
        switch self {
        case .rejected(let reason): return "the shared tier rejected a stored value: \(reason)"
        case .unusable(let reason): return "the shared tier cannot be used: \(reason)"
        }
    }
}
