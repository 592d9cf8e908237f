import Synchronization

/// What a `Memo.memoized` wrapper knows of its function: its identity and version, from
/// which every call's key is derived, and where its figures go.
///
/// Calls are not generic: the result travels as `any Spillable` and the wrapper (inlined
/// into the caller, where its types are concrete) casts it back. An unspecialized generic
/// path here cost most of a hit in runtime metadata lookups.
@usableFromInline
final class MemoizedFunction: Sendable {
    /// `name`, or the call site (`#fileID:#line`).
    @usableFromInline let identity: String
    let version: Int
    /// The key of (identity, version), hashed once; each call's key hashes it with the
    /// arguments.
    @usableFromInline let functionKey: CacheKey
    /// What spill files and a persistent directory's index record of the function.
    let stored: StoredFunction
    /// The record of the context last called in, so a hit finds it without a lookup.
    private let lastRecord = Mutex<(context: MemoContext, record: FunctionRecord)?>(nil)

    @usableFromInline
    init(identity: String, version: Int) {
        self.identity = identity
        self.version = version
        self.functionKey = CacheKey(hashing: "memo.function", identity, version)
        self.stored = StoredFunction(name: identity, version: version)
    }

    /// The name in `Memo.report()`: the identity, and the version when not 0.
    var reportName: String { version == 0 ? identity : "\(identity) v\(version)" }

    /// The key of one call.
    @inlinable
    func key<each Argument: StableHashable>(_ argument: repeat each Argument) -> CacheKey {
        CacheKey(hashing: functionKey, repeat each argument)
    }

    private func record(in context: MemoContext) -> FunctionRecord {
        lastRecord.withTrackedLock { last in
            if let last, last.context === context { return last.record }
            let record = context.record(for: self)
            last = (context, record)
            return record
        }
    }

    /// The key of one call under another version of this function: what tells a miss in
    /// a persistent directory from a version change.
    @inlinable
    func key<each Argument: StableHashable>(
        atVersion version: Int, _ argument: repeat each Argument
    ) -> CacheKey {
        CacheKey(
            hashing: CacheKey(hashing: "memo.function", identity, version), repeat each argument)
    }

    /// Returns the cached result of `key`, or runs `body`, recording which it was.
    /// `keyAtVersion` gives the call's key under another version (see ``key(atVersion:_:)``).
    @usableFromInline
    func call(
        _ key: CacheKey, _ type: any Spillable.Type, _ keyAtVersion: (Int) -> CacheKey?,
        _ body: () -> any Spillable
    ) -> any Spillable {
        let context = Memo.currentContext
        var computeTime: Duration?
        var outcome = CallOutcome.miss(.newKey)
        // `body` cannot throw, so a leader's error is never taken: `accepting` is false.
        let value = try! context.cache.valueAny(
            forKey: key, type: type, function: stored, outcome: &outcome,
            keyAtVersion: keyAtVersion,
            orCompute: {
                let start = ContinuousClock.now
                defer { computeTime = ContinuousClock.now - start }
                return body()
            },
            accepting: { _ in false })
        record(in: context).record(outcome, computeTime: computeTime)
        return value
    }

    @usableFromInline
    func call(
        _ key: CacheKey, _ type: any Spillable.Type, _ keyAtVersion: (Int) -> CacheKey?,
        _ body: () throws -> any Spillable
    ) throws -> any Spillable {
        let context = Memo.currentContext
        var computeTime: Duration?
        var outcome = CallOutcome.miss(.newKey)
        defer { record(in: context).record(outcome, computeTime: computeTime) }
        return try context.cache.valueAny(
            forKey: key, type: type, function: stored, outcome: &outcome,
            keyAtVersion: keyAtVersion,
            orCompute: {
                let start = ContinuousClock.now
                let result = try body()
                computeTime = ContinuousClock.now - start
                return result
            },
            accepting: { _ in true })
    }

    @usableFromInline
    func call(
        _ key: CacheKey, _ type: any Spillable.Type, _ keyAtVersion: (Int) -> CacheKey?,
        _ body: () async -> any Spillable
    ) async -> any Spillable {
        let context = Memo.currentContext
        var computeTime: Duration?
        var outcome = CallOutcome.miss(.newKey)
        let value = try! await context.cache.valueAny(
            forKey: key, type: type, function: stored, outcome: &outcome,
            keyAtVersion: keyAtVersion,
            orCompute: {
                let start = ContinuousClock.now
                let result = await body()
                computeTime = ContinuousClock.now - start
                return result
            },
            accepting: { _ in false })
        record(in: context).record(outcome, computeTime: computeTime)
        return value
    }

    @usableFromInline
    func call(
        _ key: CacheKey, _ type: any Spillable.Type, _ keyAtVersion: (Int) -> CacheKey?,
        _ body: () async throws -> any Spillable
    ) async throws -> any Spillable {
        let context = Memo.currentContext
        var computeTime: Duration?
        var outcome = CallOutcome.miss(.newKey)
        defer { record(in: context).record(outcome, computeTime: computeTime) }
        return try await context.cache.valueAny(
            forKey: key, type: type, function: stored, outcome: &outcome,
            keyAtVersion: keyAtVersion,
            orCompute: {
                let start = ContinuousClock.now
                let result = try await body()
                computeTime = ContinuousClock.now - start
                return result
            },
            accepting: { _ in true })
    }
}
