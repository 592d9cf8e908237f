/// How long a memoized function's results stay good, by their age: the time since the
/// result was computed, on the cache's clock (``CacheConfiguration/clock``), wherever the
/// result lives (memory, disk, a persistent directory, the shared tier).
///
/// | `Freshness` | age below `after` | from `after` to `expireAfter` | past `expireAfter` |
/// |---|---|---|---|
/// | ``always`` | hit | hit | hit |
/// | ``expire(after:)`` | hit | — | miss, computed by the caller |
/// | ``refresh(after:expireAfter:serveStaleOnError:)`` | hit | stale hit: returned at once, one background refresh starts | miss, computed by the caller |
///
/// The cache's own `timeToLive` applies on top of every one of them.
///
/// ```swift
/// let quote = Memo.function(
///     name: "quote",
///     freshness: .refresh(after: .seconds(30), expireAfter: .seconds(600),
///                         serveStaleOnError: .seconds(3600))
/// ) { (symbol: String) async throws -> Double in try await fetchQuote(symbol) }
/// ```
///
/// Durations must be positive, and `expireAfter` at least `after`: `Memo.function` stops
/// the program with a message saying which value was wrong otherwise.
public enum Freshness: Sendable, Hashable, CustomStringConvertible {
    /// Results never age (the default).
    case always
    /// A result older than `after` is a miss (reason ``MissReason/expired``), computed on
    /// the caller's path.
    case expire(after: Duration)
    /// A result older than `after` is stale: a call returns it at once and starts one
    /// background refresh of it (one per key in the process, and across the processes
    /// sharing a directory or a tier); a result older than `expireAfter` (`nil`: never) is
    /// a miss, computed on the caller's path. With `serveStaleOnError`, a computation past
    /// `expireAfter` that throws returns the old result instead while the result's age is
    /// below `expireAfter + serveStaleOnError`.
    ///
    /// A background refresh that fails keeps the old result, is counted
    /// (``FunctionReport/refreshFailures``) and logged, and is tried again by a later
    /// stale hit no sooner than `min(after, 1 s)` after it failed.
    case refresh(after: Duration, expireAfter: Duration? = nil, serveStaleOnError: Duration? = nil)

    /// The policy in words, as the report and errors show it.
    public var description: String {
        switch self {
        case .always: return "always"
        case .expire(let after): return "expire after \(after)"
        case .refresh(let after, let expireAfter, let window):
            return "refresh after \(after)"
                + (expireAfter.map { ", expire after \($0)" } ?? "")
                + (window.map { ", serve stale on error for \($0)" } ?? "")
        }
    }

    /// What is wrong with the policy's durations, if anything.
    var problem: String? {
        switch self {
        case .always: return nil
        case .expire(let after):
            return after > .zero ? nil : "expire(after:) needs a positive duration, not \(after)"
        case .refresh(let after, let expireAfter, let window):
            guard after > .zero else {
                return "refresh(after:) needs a positive duration, not \(after)"
            }
            if let expireAfter, expireAfter < after {
                return "refresh(after: \(after), expireAfter: \(expireAfter)): expireAfter "
                    + "must be at least after"
            }
            if let window, window < .zero {
                return "serveStaleOnError must not be negative, not \(window)"
            }
            return nil
        }
    }
}

/// A ``Freshness`` as the cache applies it: ages below `freshFor` are fresh, below
/// `usableFor` usable (stale past `freshFor`), and below `usableFor + staleOnError`
/// the fallback of a failed computation.
struct FreshnessWindow: Sendable, Equatable {
    /// Younger results are fresh; `nil`: every usable result is.
    let freshFor: Duration?
    /// Older results are misses for this function; `nil`: none is.
    let usableFor: Duration?
    /// How long past `usableFor` a failed computation returns the old result.
    let staleOnError: Duration?

    /// The window of `.always`.
    static let always = FreshnessWindow(freshFor: nil, usableFor: nil, staleOnError: nil)

    /// Whether results age at all (the hit path then reads the clock).
    var ages: Bool { freshFor != nil || usableFor != nil }

    /// How soon after a failed refresh the next may start: `min(after, 1 s)`.
    var retryDelay: Duration { min(freshFor ?? .seconds(1), .seconds(1)) }

    /// How old a result a failed computation may fall back on; `nil`: none.
    var fallbackFor: Duration? {
        guard let staleOnError, let usableFor else { return nil }
        return usableFor + staleOnError
    }
}

extension FreshnessWindow {
    /// The window of `freshness` (in an extension, so the memberwise initializer stays).
    init(_ freshness: Freshness) {
        switch freshness {
        case .always: self = .always
        case .expire(let after):
            self.init(freshFor: nil, usableFor: after, staleOnError: nil)
        case .refresh(let after, let expireAfter, let window):
            self.init(freshFor: after, usableFor: expireAfter, staleOnError: window)
        }
    }
}
