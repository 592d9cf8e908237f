public import Memo
public import Testing

/// Runs `body` with a `Memo` of its own: a fresh cache (in memory, with a ``TestClock``
/// unless `configuration` says otherwise) that every `Memo.memoized` call made by `body`
/// and its child tasks uses instead of the shared one. Tests that use it can run in
/// parallel. When `body` returns the cache is emptied, or, if it is persistent, flushed
/// with its directory kept (as `Memo.configure` treats the cache it replaces).
///
/// ```swift
/// @Test func cachesSpectra() async throws {
///     try await withIsolatedMemo { clock in
///         let spectrum = Memo.memoized { (n: Int) in expensive(n) }
///         _ = spectrum(8); _ = spectrum(8)
///         #expect(Memo.stats.hits == 1)
///     }
/// }
/// ```
///
/// Threads started by `body` itself (not tasks) do not inherit the isolation.
public func withIsolatedMemo<Result>(
    _ configuration: CacheConfiguration? = nil,
    _ body: (TestClock) async throws -> Result
) async throws -> Result {
    let (context, clock) = try makeIsolatedContext(configuration)
    defer { release(context) }
    return try await Memo.$isolatedContext.withValue(context) { try await body(clock) }
}

/// The synchronous form of `withIsolatedMemo(_:_:)`.
public func withIsolatedMemo<Result>(
    _ configuration: CacheConfiguration? = nil,
    _ body: (TestClock) throws -> Result
) throws -> Result {
    let (context, clock) = try makeIsolatedContext(configuration)
    defer { release(context) }
    return try Memo.$isolatedContext.withValue(context) { try body(clock) }
}

/// Ends an isolated context as `Memo.configure` ends the shared one: a persistent cache is
/// flushed and keeps its directory, any other is emptied.
private func release(_ context: MemoContext) {
    if context.cache.configuration.persistent {
        context.cache.retire()
    } else {
        context.cache.removeAll()
    }
}

/// A fresh context for `configuration` (or ``isolatedConfiguration()``), on a new
/// ``TestClock`` unless the configuration brings a clock of its own.
private func makeIsolatedContext(
    _ configuration: CacheConfiguration?
) throws -> (MemoContext, TestClock) {
    Memo.noteIsolatedContext()
    let clock = TestClock()
    var configuration = configuration ?? isolatedConfiguration()
    if configuration.clock is SystemCacheClock { configuration.clock = clock }
    return (MemoContext(cache: try SpillingCache(configuration)), clock)
}

/// An isolated configuration: 64 MB of memory, an ``InMemoryFileSystem``, a private
/// directory name.
public func isolatedConfiguration() -> CacheConfiguration {
    var configuration = CacheConfiguration()
    configuration.maxMemory = .megabytes(64)
    configuration.fileSystem = InMemoryFileSystem()
    configuration.directory = "/isolated-memo"
    return configuration
}

/// A Swift Testing trait that runs each test it applies to inside
/// `withIsolatedMemo(_:_:)`:
/// `@Test(.isolatedMemo) func …` or `@Suite(.isolatedMemo) struct …`.
public struct IsolatedMemoTrait: TestTrait, SuiteTrait, TestScoping {
    /// Applies to each test of a suite, not once to the suite.
    public var isRecursive: Bool { true }

    public func provideScope(
        for test: Test, testCase: Test.Case?,
        performing function: @Sendable () async throws -> Void
    ) async throws {
        guard testCase != nil || !test.isSuite else { return try await function() }
        try await withIsolatedMemo { _ in try await function() }
    }
}

extension Trait where Self == IsolatedMemoTrait {
    /// Gives each test its own `Memo` (see ``IsolatedMemoTrait``).
    public static var isolatedMemo: Self { IsolatedMemoTrait() }
}
