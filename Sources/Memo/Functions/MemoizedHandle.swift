/// A memoized function with per-call control, from
/// `Memo.function(name:version:freshness:_:)`.
///
/// Call it as the closure `Memo.memoized` returns; a handle and a closure of the same
/// name and version share results, and `closure` is the handle as a plain closure.
/// `Failure` is the body's error type (`Never` for a
/// body that cannot throw: then neither the call nor ``refresh(_:)`` throws).
public struct MemoizedHandle<each Argument: StableHashable & Sendable, Result: Spillable, Failure: Error>:
    Sendable
{
    @usableFromInline let function: MemoizedFunction
    @usableFromInline let body: @Sendable (repeat each Argument) throws(Failure) -> Result

    @usableFromInline
    init(
        function: MemoizedFunction,
        body: @escaping @Sendable (repeat each Argument) throws(Failure) -> Result
    ) {
        self.function = function
        self.body = body
    }

    /// The cached result of these arguments, or the body's, cached (single flight: equal
    /// concurrent calls run the body once). A stale result (see ``Freshness``) returns at
    /// once and starts a background refresh.
    @inlinable
    public func callAsFunction(_ argument: repeat each Argument) throws(Failure) -> Result {
        guard let key = function.key(repeat each argument) else {
            return try body(repeat each argument)
        }
        var refreshDue = false
        if let hit = function.freshResult(forKey: key, as: Result.self, refreshDue: &refreshDue) {
            if refreshDue { startRefresh(key, repeat each argument) }
            return hit
        }
        let body = self.body
        do {
            let (value, due) = try function.freshCall(
                key, Result.self, { function.key(atVersion: $0, repeat each argument) },
                accepting: { $0 is Failure }
            ) {
                try body(repeat each argument)
            }
            if due { startRefresh(key, repeat each argument) }
            return unbox(value, as: Result.self)
        } catch {
            throw error as! Failure
        }
    }

    @usableFromInline
    func startRefresh(_ key: CacheKey, _ argument: repeat each Argument) {
        let body = self.body
        function.refreshInBackground(key, Result.self) { try body(repeat each argument) }
    }

    /// The usable cached result of these arguments (from memory, disk, the persistent
    /// directory or the shared tier), or `nil`. Computes nothing, counts no hit or miss.
    @inlinable
    public func peek(_ argument: repeat each Argument) -> Result? {
        guard let key = function.key(repeat each argument) else { return nil }
        return function.peek(key, Result.self).map { unbox($0, as: Result.self) }
    }

    /// Removes the cached result of these arguments from memory, disk, the persistent
    /// directory and the shared tier; `true` if one was held. Other processes' copies in
    /// their own memory stay until they expire.
    @inlinable
    @discardableResult
    public func invalidate(_ argument: repeat each Argument) -> Bool {
        guard let key = function.key(repeat each argument) else { return false }
        return function.invalidate(key)
    }

    /// Recomputes the result of these arguments now and replaces it everywhere (a
    /// computation of them already running is waited for instead). When the body throws,
    /// the old result stays and the error is thrown.
    @inlinable
    @discardableResult
    public func refresh(_ argument: repeat each Argument) throws(Failure) -> Result {
        guard let key = function.key(repeat each argument) else {
            return try body(repeat each argument)
        }
        let body = self.body
        do {
            return unbox(
                try function.refreshNow(key, Result.self, accepting: { $0 is Failure }) {
                    try body(repeat each argument)
                }, as: Result.self)
        } catch {
            throw error as! Failure
        }
    }

    /// Stores `result` as the result of these arguments, as if computed now (precaching).
    @inlinable
    public func store(_ result: Result, for argument: repeat each Argument) {
        guard let key = function.key(repeat each argument) else { return }
        function.store(result, forKey: key)
    }

    /// Removes every result of this function (of every version) from memory, disk and the
    /// persistent directory. The shared tier keeps its copies.
    public func clear() { function.clear() }

    /// This function's figures in the current `Memo` context.
    public var stats: FunctionReport { function.report }
}
