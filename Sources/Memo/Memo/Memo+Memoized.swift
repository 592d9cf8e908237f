extension Memo {
    /// Wraps `body` so that calls with equal arguments return the cached result.
    ///
    /// - Parameters:
    ///   - name: The function's identity in keys and in ``report()``. `nil` (the default)
    ///     uses the call site, `#fileID:#line`: two anonymous wrappers never share
    ///     results, and the same wrapper created twice does.
    ///   - version: Bump it when the body changes meaning, so earlier results are not
    ///     reused.
    ///   - fileID: The call site's file, the identity when `name` is `nil`. Leave it.
    ///   - line: The call site's line, the identity when `name` is `nil`. Leave it.
    ///   - body: The function. Its arguments are any ``StableHashable`` values (zero or
    ///     more); its result any ``Spillable``, `Optional` included (a cached `nil` is a
    ///     hit).
    /// - Returns: A closure of the same shape. Concurrent calls with equal arguments run
    ///   `body` once; the others wait for its result.
    @inlinable
    public static func memoized<
        each Argument: StableHashable & SendableMetatype, Result: Spillable
    >(
        name: String? = nil, version: Int = 0,
        fileID: String = #fileID, line: Int = #line,
        _ body: @escaping @Sendable (repeat each Argument) -> Result
    ) -> @Sendable (repeat each Argument) -> Result {
        let function = MemoizedFunction(identity: name ?? "\(fileID):\(line)", version: version)
        return { (argument: repeat each Argument) -> Result in
            guard let key = function.key(repeat each argument) else {
                return function.uncached { body(repeat each argument) }
            }
            if let hit = function.cachedResult(forKey: key, as: Result.self) { return hit }
            return unbox(
                function.call(
                    key, Result.self,
                    { function.key(atVersion: $0, repeat each argument) }
                ) {
                    body(repeat each argument)
                }, as: Result.self)
        }
    }

    /// Wraps a throwing function. Errors are passed to the caller (and to concurrent
    /// callers waiting for the same arguments) and never cached.
    @inlinable
    public static func memoized<
        each Argument: StableHashable & SendableMetatype, Result: Spillable
    >(
        name: String? = nil, version: Int = 0,
        fileID: String = #fileID, line: Int = #line,
        _ body: @escaping @Sendable (repeat each Argument) throws -> Result
    ) -> @Sendable (repeat each Argument) throws -> Result {
        let function = MemoizedFunction(identity: name ?? "\(fileID):\(line)", version: version)
        return { (argument: repeat each Argument) throws -> Result in
            guard let key = function.key(repeat each argument) else {
                return try function.uncached { try body(repeat each argument) }
            }
            if let hit = function.cachedResult(forKey: key, as: Result.self) { return hit }
            return unbox(
                try function.call(
                    key, Result.self,
                    { function.key(atVersion: $0, repeat each argument) }
                ) {
                    try body(repeat each argument)
                }, as: Result.self)
        }
    }

    /// Wraps an async function. Concurrent callers with equal arguments await the one
    /// computation.
    @inlinable
    public static func memoized<
        each Argument: StableHashable & SendableMetatype, Result: Spillable
    >(
        name: String? = nil, version: Int = 0,
        fileID: String = #fileID, line: Int = #line,
        _ body: @escaping @Sendable (repeat each Argument) async -> Result
    ) -> @Sendable (repeat each Argument) async -> Result {
        let function = MemoizedFunction(identity: name ?? "\(fileID):\(line)", version: version)
        return { (argument: repeat each Argument) async -> Result in
            guard let key = function.key(repeat each argument) else {
                return await function.uncached { await body(repeat each argument) }
            }
            if let hit = function.cachedResult(forKey: key, as: Result.self) { return hit }
            return unbox(
                await function.call(
                    key, Result.self,
                    { function.key(atVersion: $0, repeat each argument) }
                ) {
                    await body(repeat each argument)
                }, as: Result.self)
        }
    }

    /// Wraps an async throwing function. Errors are never cached.
    @inlinable
    public static func memoized<
        each Argument: StableHashable & SendableMetatype, Result: Spillable
    >(
        name: String? = nil, version: Int = 0,
        fileID: String = #fileID, line: Int = #line,
        _ body: @escaping @Sendable (repeat each Argument) async throws -> Result
    ) -> @Sendable (repeat each Argument) async throws -> Result {
        let function = MemoizedFunction(identity: name ?? "\(fileID):\(line)", version: version)
        return { (argument: repeat each Argument) async throws -> Result in
            guard let key = function.key(repeat each argument) else {
                return try await function.uncached { try await body(repeat each argument) }
            }
            if let hit = function.cachedResult(forKey: key, as: Result.self) { return hit }
            return unbox(
                try await function.call(
                    key, Result.self,
                    { function.key(atVersion: $0, repeat each argument) }
                ) {
                    try await body(repeat each argument)
                }, as: Result.self)
        }
    }

    /// Wraps a recursive function: `body` receives the memoized function itself as its
    /// first argument, so its own sub-calls are memoized too.
    ///
    /// ```swift
    /// let fibonacci = Memo.recursive(name: "fib") { (fib, n: Int) -> Int in
    ///     n < 2 ? n : fib(n - 1) + fib(n - 2)
    /// }
    /// fibonacci(90)   // 91 computations, not 10^18
    /// ```
    ///
    /// Sub-calls with other arguments never wait on the outer call. A call that recurses
    /// into its own arguments would wait for itself, as any single-flight cache would.
    @inlinable
    public static func recursive<
        each Argument: StableHashable & SendableMetatype, Result: Spillable
    >(
        name: String? = nil, version: Int = 0,
        fileID: String = #fileID, line: Int = #line,
        _ body:
            @escaping @Sendable (
                _ recurse: @Sendable (repeat each Argument) -> Result, repeat each Argument
            ) -> Result
    ) -> @Sendable (repeat each Argument) -> Result {
        let function = MemoizedFunction(identity: name ?? "\(fileID):\(line)", version: version)
        return recursiveCall(function, body)
    }

    /// The memoized closure of a recursive body. Each call hands the body a fresh closure
    /// for its sub-calls, so no closure has to hold itself (no reference cycle).
    @usableFromInline
    static func recursiveCall<each Argument: StableHashable & SendableMetatype, Result: Spillable>(
        _ function: MemoizedFunction,
        _ body:
            @escaping @Sendable (
                _ recurse: @Sendable (repeat each Argument) -> Result, repeat each Argument
            ) -> Result
    ) -> @Sendable (repeat each Argument) -> Result {
        return { (argument: repeat each Argument) -> Result in
            guard let key = function.key(repeat each argument) else {
                return function.uncached { body(recursiveCall(function, body), repeat each argument) }
            }
            if let hit = function.cachedResult(forKey: key, as: Result.self) { return hit }
            return unbox(
                function.call(
                    key, Result.self,
                    { function.key(atVersion: $0, repeat each argument) }
                ) {
                    body(recursiveCall(function, body), repeat each argument)
                }, as: Result.self)
        }
    }
}
