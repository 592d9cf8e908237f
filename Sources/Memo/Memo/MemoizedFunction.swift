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
    let identity: String
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

    /// Returns the cached result of `key`, or runs `body`, recording which it was.
    @usableFromInline
    func call(
        _ key: CacheKey, _ type: any Spillable.Type, _ body: () -> any Spillable
    ) -> any Spillable {
        let context = Memo.currentContext
        var computeTime: Duration?
        // `body` cannot throw, so a leader's error is never taken: `accepting` is false.
        let value = try! context.cache.valueAny(
            forKey: key, type: type, function: stored,
            orCompute: {
                let start = ContinuousClock.now
                defer { computeTime = ContinuousClock.now - start }
                return body()
            },
            accepting: { _ in false })
        count(computeTime, ran: computeTime != nil, in: context)
        return value
    }

    @usableFromInline
    func call(
        _ key: CacheKey, _ type: any Spillable.Type, _ body: () throws -> any Spillable
    ) throws -> any Spillable {
        let context = Memo.currentContext
        var computeTime: Duration?
        var ran = false
        do {
            let value = try context.cache.valueAny(
                forKey: key, type: type, function: stored,
                orCompute: {
                    ran = true
                    let start = ContinuousClock.now
                    let result = try body()
                    computeTime = ContinuousClock.now - start
                    return result
                },
                accepting: { _ in true })
            count(computeTime, ran: ran, in: context)
            return value
        } catch {
            record(in: context).recordMiss(computeTime: nil)
            throw error
        }
    }

    @usableFromInline
    func call(
        _ key: CacheKey, _ type: any Spillable.Type, _ body: () async -> any Spillable
    ) async -> any Spillable {
        let context = Memo.currentContext
        var computeTime: Duration?
        let value = try! await context.cache.valueAny(
            forKey: key, type: type, function: stored,
            orCompute: {
                let start = ContinuousClock.now
                let result = await body()
                computeTime = ContinuousClock.now - start
                return result
            },
            accepting: { _ in false })
        count(computeTime, ran: computeTime != nil, in: context)
        return value
    }

    @usableFromInline
    func call(
        _ key: CacheKey, _ type: any Spillable.Type, _ body: () async throws -> any Spillable
    ) async throws -> any Spillable {
        let context = Memo.currentContext
        var computeTime: Duration?
        var ran = false
        do {
            let value = try await context.cache.valueAny(
                forKey: key, type: type, function: stored,
                orCompute: {
                    ran = true
                    let start = ContinuousClock.now
                    let result = try await body()
                    computeTime = ContinuousClock.now - start
                    return result
                },
                accepting: { _ in true })
            count(computeTime, ran: ran, in: context)
            return value
        } catch {
            record(in: context).recordMiss(computeTime: nil)
            throw error
        }
    }

    private func count(_ computeTime: Duration?, ran: Bool, in context: MemoContext) {
        let record = record(in: context)
        if ran { record.recordMiss(computeTime: computeTime) } else { record.recordHit() }
    }
}
