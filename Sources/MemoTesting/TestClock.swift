public import Memo
import Synchronization

/// A `CacheClock` that moves only when told: `timeToLive` tests without sleeping.
///
/// ```swift
/// let clock = TestClock()
/// config.clock = clock
/// config.timeToLive = .seconds(60)
/// clock.advance(by: .seconds(61))   // every value stored before is now expired
/// ```
public final class TestClock: CacheClock {
    private let current: Mutex<Duration>

    /// A clock at `start` (by default a fixed instant, one million seconds from its origin).
    public init(start: Duration = .seconds(1_000_000)) {
        current = Mutex(start)
    }

    /// The clock's time.
    public var now: Duration { current.withTrackedLock { $0 } }

    /// Moves the clock forward.
    ///
    /// - Precondition: `duration` is not negative.
    public func advance(by duration: Duration) {
        precondition(duration >= .zero, "a TestClock never goes backward")
        current.withTrackedLock { $0 += duration }
    }

    /// Sets the clock's time.
    ///
    /// - Precondition: `instant` is not before the current time.
    public func set(to instant: Duration) {
        current.withTrackedLock { now in
            precondition(instant >= now, "a TestClock never goes backward")
            now = instant
        }
    }
}
