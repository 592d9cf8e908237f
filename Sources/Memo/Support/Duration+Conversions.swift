import Dispatch

/// The conversions of `Duration` the cache needs, in one place: the entry table's
/// nanoseconds, the index's milliseconds and wall-clock times, Dispatch's intervals.
extension Duration {
    /// The duration in whole nanoseconds, saturating at `Int64`'s bounds (about 292
    /// years): how the entry table stores expiry times in one word.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        let (total, overflowAgain) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        guard !overflowAgain else { return seconds < 0 ? .min : .max }
        return total
    }

    /// Milliseconds, as the index stores times.
    var indexMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// Whole microseconds, as the index stores compute costs (negative ones as zero).
    package var indexMicroseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000)
        guard !overflow else { return seconds < 0 ? 0 : .max }
        return max(0, whole + attoseconds / 1_000_000_000_000)
    }

    /// The wall-clock time now, since the Unix epoch: what the index records as stored and
    /// last-used times (recency itself is the index's counter, never a time).
    package static var sinceUnixEpoch: Duration {
        .milliseconds(Int64(wallClockMilliseconds()))
    }

    /// The duration for Dispatch's timeouts.
    var dispatchInterval: DispatchTimeInterval {
        .nanoseconds(Int(nanoseconds))
    }
}
