/// Why a lookup found no usable value.
///
/// The cache knows it at the moment of the miss: an entry it holds tells why it cannot be
/// used, and the keys it dropped recently are remembered with the reason (the last 4,096
/// of them). `Memo.report()` and the `memo_misses_total` metric count misses by reason,
/// per function (see <doc:Observability>).
public enum MissReason: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Never stored: a new key (or one removed or cleared by a caller, or dropped too long
    /// ago to be remembered).
    case newKey = "new_key"
    /// Stored, and its `timeToLive` passed.
    case expired
    /// Dropped by the cache: deleted to hold `maxDisk`, or lost when its spill write failed.
    case evicted
    /// Its spill file was corrupt, truncated or missing.
    case corrupt
    /// Stored as a value of another type: not this caller's value.
    case otherType = "other_type"
    /// Stored by another version of the same function (persistent directories): the
    /// function's `version` changed since.
    case versionChanged = "version_changed"
    /// Not looked up at all: an argument's `Encodable` conformance threw while it was
    /// keyed, so the call ran uncached (and counted a failure).
    case unkeyable

    /// The reason as `Memo.report()` shows it: "new key", "version changed".
    public var description: String {
        rawValue.replacingUnderscores()
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String {
        String(map { $0 == "_" ? " " : $0 })
    }
}
