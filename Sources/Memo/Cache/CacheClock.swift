/// The time source of a cache's `timeToLive`.
///
/// `now` is the time elapsed since an origin of the clock's choosing; it must never go
/// backward. Recency (which entry spills first) never depends on it: that order is kept
/// by a logical counter, so a frozen clock cannot create ties.
public protocol CacheClock: Sendable {
    /// The current time, as a duration since the clock's origin.
    var now: Duration { get }
}

/// The default clock: monotonic time since the clock was created.
public struct SystemCacheClock: CacheClock {
    private let origin = ContinuousClock.now

    /// A clock whose origin is now.
    public init() {}

    /// Monotonic time elapsed since the clock was created.
    public var now: Duration { ContinuousClock.now - origin }
}
