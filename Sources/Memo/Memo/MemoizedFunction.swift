/// What a `Memo.memoized` wrapper knows of its function: its identity and version, from
/// which every call's key is derived.
final class MemoizedFunction: Sendable {
    /// `name`, or the call site (`#fileID:#line`).
    let identity: String
    let version: Int
    /// The key of (identity, version), hashed once; each call's key hashes it with the
    /// arguments.
    let functionKey: CacheKey

    init(identity: String, version: Int) {
        self.identity = identity
        self.version = version
        self.functionKey = CacheKey(hashing: "memo.function", identity, version)
    }

    /// The name in `Memo.report()`: the identity, and the version when not 0.
    var reportName: String { version == 0 ? identity : "\(identity) v\(version)" }

    /// The key of one call.
    @inline(__always)
    func key<each Argument: StableHashable>(_ argument: repeat each Argument) -> CacheKey {
        CacheKey(hashing: functionKey, repeat each argument)
    }

    /// Returns the cached result of `key`, or runs `body`, recording which it was.
    func call<Result: Spillable>(_ key: CacheKey, _ body: () -> Result) -> Result {
        let context = Memo.currentContext
        var computeTime: Duration?
        let value = context.cache.value(forKey: key) { () -> Result in
            let start = ContinuousClock.now
            defer { computeTime = ContinuousClock.now - start }
            return body()
        }
        record(computeTime, in: context, ran: computeTime != nil)
        return value
    }

    func call<Result: Spillable>(_ key: CacheKey, _ body: () throws -> Result) throws -> Result {
        let context = Memo.currentContext
        var computeTime: Duration?
        var ran = false
        do {
            let value = try context.cache.value(forKey: key) { () throws -> Result in
                ran = true
                let start = ContinuousClock.now
                let result = try body()
                computeTime = ContinuousClock.now - start
                return result
            }
            record(computeTime, in: context, ran: ran)
            return value
        } catch {
            context.record(for: self).recordMiss(computeTime: nil)
            throw error
        }
    }

    func call<Result: Spillable>(_ key: CacheKey, _ body: () async -> Result) async -> Result {
        let context = Memo.currentContext
        var computeTime: Duration?
        let value = await context.cache.value(forKey: key) { () async -> Result in
            let start = ContinuousClock.now
            let result = await body()
            computeTime = ContinuousClock.now - start
            return result
        }
        record(computeTime, in: context, ran: computeTime != nil)
        return value
    }

    func call<Result: Spillable>(
        _ key: CacheKey, _ body: () async throws -> Result
    ) async throws -> Result {
        let context = Memo.currentContext
        var computeTime: Duration?
        var ran = false
        do {
            let value = try await context.cache.value(forKey: key) { () async throws -> Result in
                ran = true
                let start = ContinuousClock.now
                let result = try await body()
                computeTime = ContinuousClock.now - start
                return result
            }
            record(computeTime, in: context, ran: ran)
            return value
        } catch {
            context.record(for: self).recordMiss(computeTime: nil)
            throw error
        }
    }

    private func record(_ computeTime: Duration?, in context: MemoContext, ran: Bool) {
        let record = context.record(for: self)
        if ran { record.recordMiss(computeTime: computeTime) } else { record.recordHit() }
    }
}
