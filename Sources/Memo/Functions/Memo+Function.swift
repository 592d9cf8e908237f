extension Memo {
    /// Wraps `body` as `Memo.memoized`
    /// does, and returns a handle: call it like the closure, and look at, remove, recompute
    /// or seed its results one call at a time.
    ///
    /// ```swift
    /// let area = Memo.function(name: "area", freshness: .expire(after: .seconds(60))) {
    ///     (width: Int, height: Int) -> Int in width * height
    /// }
    /// area(3, 4)             // 12, computed
    /// area.peek(3, 4)        // 12, counted as nothing
    /// area.invalidate(3, 4)  // true
    /// ```
    ///
    /// - Parameters:
    ///   - name: The function's identity, as for `Memo.memoized` (`nil`: the call site).
    ///   - version: Bump it when the body changes meaning.
    ///   - freshness: How long results stay good (``Freshness``); `.always` by default.
    ///   - maxMemory: This function's memory quota: its results never hold more memory;
    ///     past it, its own least recently used results spill to disk first, and other
    ///     functions' results stay where they are. `nil` (the default): only the cache's
    ///     `maxMemory` holds. The quota is set in each `Memo` context the handle is
    ///     called in; of two handles of one name and version, the last called sets it.
    ///   - fileID: The call site's file. Leave it.
    ///   - line: The call site's line. Leave it.
    ///   - body: The function; its arguments are `Sendable` (a background refresh calls it
    ///     on another thread) and any ``StableHashable``.
    /// - Precondition: `freshness`'s durations are positive and `expireAfter` is at least
    ///   `after`.
    @inlinable
    public static func function<
        each Argument: StableHashable & Sendable, Result: Spillable, Failure: Error
    >(
        name: String? = nil, version: Int = 0, freshness: Freshness = .always,
        maxMemory: ByteCount? = nil, fileID: String = #fileID, line: Int = #line,
        _ body: @escaping @Sendable (repeat each Argument) throws(Failure) -> Result
    ) -> MemoizedHandle<repeat each Argument, Result, Failure> {
        MemoizedHandle(
            function: makeFunction(name ?? "\(fileID):\(line)", version, freshness, maxMemory),
            body: body)
    }

    /// The async form: the handle's calls, and its refreshes, are `async`; background
    /// refreshes run in a task.
    @inlinable
    public static func function<
        each Argument: StableHashable & Sendable, Result: Spillable, Failure: Error
    >(
        name: String? = nil, version: Int = 0, freshness: Freshness = .always,
        maxMemory: ByteCount? = nil, fileID: String = #fileID, line: Int = #line,
        _ body: @escaping @Sendable (repeat each Argument) async throws(Failure) -> Result
    ) -> AsyncMemoizedHandle<repeat each Argument, Result, Failure> {
        AsyncMemoizedHandle(
            function: makeFunction(name ?? "\(fileID):\(line)", version, freshness, maxMemory),
            body: body)
    }

    /// The function of a handle, once its freshness is checked.
    @usableFromInline
    static func makeFunction(
        _ identity: String, _ version: Int, _ freshness: Freshness, _ maxMemory: ByteCount?
    ) -> MemoizedFunction {
        if let problem = freshness.problem {
            preconditionFailure("Memo.function(name: \(identity)): \(problem)")
        }
        return MemoizedFunction(
            identity: identity, version: version, freshness: freshness,
            memoryQuota: maxMemory?.bytes)
    }

    /// Returns when every background refresh started so far, and every publication to
    /// the shared tier, has finished. Tests call it instead of sleeping.
    public static func waitForBackgroundWork() async {
        await BackgroundWork.waitForStarted()
        let cache = currentContext.cache
        if let shared = cache.shared {
            await cache.onCacheThread { shared.waitForPublications() }
        }
    }
}
