import Logging
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
    /// The binding of the context last called in, as the bits of an unretained
    /// reference (0 before the first call): a hit finds its record with one atomic load.
    private let lastBinding = Atomic<UInt>(0)
    /// Every binding made, kept alive while the function lives, so a reference loaded
    /// from `lastBinding` stays valid after another thread replaces it. One per context
    /// the function was called in: the shared one, and each isolated one of a test.
    private let bindings = Mutex<[RecordBinding]>([])
    /// Whether a call that could not be keyed was logged (once per function).
    private let loggedUnkeyable = Atomic(false)
    /// How its results age (``Freshness``); `.always` for `Memo.memoized`.
    let window: FreshnessWindow
    /// Its memory quota in bytes (`Memo.function(…, maxMemory:)`), set in each context it
    /// binds to; `nil` for none.
    let memoryQuota: Int?

    /// A context and this function's record in it.
    final class RecordBinding: Sendable {
        let context: MemoContext
        let record: FunctionRecord

        init(context: MemoContext, record: FunctionRecord) {
            self.context = context
            self.record = record
        }
    }

    @usableFromInline
    init(
        identity: String, version: Int, freshness: Freshness = .always, memoryQuota: Int? = nil
    ) {
        self.memoryQuota = memoryQuota
        self.identity = identity
        self.version = version
        self.window = FreshnessWindow(freshness)
        self.functionKey = CacheKey(hashing: "memo.function", identity, version)
        self.stored = StoredFunction(name: identity, version: version)
    }

    /// The name in `Memo.report()`: the identity, and the version when not 0.
    var reportName: String { version == 0 ? identity : "\(identity) v\(version)" }

    /// The key of one call; `nil` when an argument cannot be keyed (its `Encodable`
    /// conformance threw), and the call then runs uncached.
    @inlinable
    func key<each Argument: StableHashable>(_ argument: repeat each Argument) -> CacheKey? {
        // `CacheKey(hashing: functionKey, repeat each argument)`, with the function key
        // written directly: through the pack, each value's encoding is a witness call.
        var hasher = StableHasher()
        functionKey.stableHash(into: &hasher)
        repeat (each argument).stableHash(into: &hasher)
        let unkeyable = hasher.unkeyable
        let key = hasher.finalize()
        return unkeyable ? nil : key
    }

    /// Runs `body` for a call whose arguments cannot be keyed: uncached, never another
    /// call's result. Counted as a miss (``MissReason/unkeyable``) and a failure, and
    /// logged once per function.
    @usableFromInline
    func uncached<Result>(_ body: () throws -> Result) rethrows -> Result {
        recordUnkeyable()
        return try body()
    }

    /// ``uncached(_:)`` for an async body.
    @usableFromInline
    func uncached<Result>(_ body: () async throws -> Result) async rethrows -> Result {
        recordUnkeyable()
        return try await body()
    }

    private func recordUnkeyable() {
        let context = Memo.currentContext
        record(in: context).record(.miss(.unkeyable), computeTime: nil)
        context.cache.countFailure()
        guard !loggedUnkeyable.exchange(true, ordering: .relaxed) else { return }
        let why = StableEncoder.lastFailure.withTrackedLock { $0 } ?? "its encode(to:) threw"
        context.cache.logger.warning(
            "a call of \(reportName) cannot be keyed, so it runs uncached (logged once)",
            metadata: ["function": "\(reportName)", "error": "\(why)"])
    }

    /// The current `Memo` context, with this function bound to it first if it has a
    /// memory quota: the quota is in the cache before the function's first result is.
    var currentContext: MemoContext {
        let context = Memo.currentContext
        if memoryQuota != nil { _ = record(in: context) }
        return context
    }

    func record(in context: MemoContext) -> FunctionRecord {
        let bits = lastBinding.load(ordering: .acquiring)
        if bits != 0 {
            let binding = Unmanaged<RecordBinding>.fromOpaque(UnsafeRawPointer(bitPattern: bits)!)
                .takeUnretainedValue()
            if binding.context === context { return binding.record }
        }
        return bind(context)
    }

    /// The slow path of ``record(in:)``: the first call in `context`, or a call in a
    /// context other than the last one.
    private func bind(_ context: MemoContext) -> FunctionRecord {
        let record = context.record(for: self)
        if let memoryQuota { context.cache.setMemoryQuota(memoryQuota, for: stored) }
        bindings.withTrackedLock { bindings in
            let binding: RecordBinding
            if let existing = bindings.first(where: { $0.context === context }) {
                binding = existing
            } else {
                binding = RecordBinding(context: context, record: record)
                bindings.append(binding)
            }
            lastBinding.store(
                UInt(bitPattern: Unmanaged.passUnretained(binding).toOpaque()), ordering: .releasing
            )
        }
        return record
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

    /// The result of `key` if it is in memory: the hit path, which the wrappers try before
    /// ``call(_:_:_:_:)-(_,_,_,()->Spillable)``. The value is read where it lies, as
    /// `Result` (``ExistentialValue``), and not copied as an existential (each copy of one
    /// is a runtime call).
    @inlinable
    func cachedResult<Result: Spillable>(forKey key: CacheKey, as _: Result.Type) -> Result? {
        var result: Result?
        _ = hit(key, Result.self) { result = ExistentialValue.load($0, as: Result.self) }
        return result
    }

    /// Hands the address of `key`'s value to `read` if it is in memory as `type`, and
    /// records the hit; `false` otherwise.
    @usableFromInline
    func hit(
        _ key: CacheKey, _ type: any Spillable.Type,
        _ read: (UnsafePointer<any Spillable>) -> Void
    ) -> Bool {
        Memo.withCurrentContext { context in
            guard let stripe = context.cache.memoryHit(key, type: type, read) else {
                return false
            }
            recordMemoryHit(in: context, stripe: stripe)
            return true
        }
    }

    /// Records a hit from memory in `context`'s record of this function, without
    /// retaining the binding or the record.
    @inline(__always)
    private func recordMemoryHit(in context: MemoContext, stripe: Int) {
        let bits = lastBinding.load(ordering: .acquiring)
        if bits != 0,
            Unmanaged<RecordBinding>.fromOpaque(UnsafeRawPointer(bitPattern: bits)!)
                ._withUnsafeGuaranteedRef({ binding in
                    guard binding.context === context else { return false }
                    binding.record.recordMemoryHit(stripe: stripe)
                    return true
                })
        {
            return
        }
        bind(context).recordMemoryHit(stripe: stripe)
    }

    /// Returns the cached result of `key`, or runs `body`, recording which it was.
    /// `keyAtVersion` gives the call's key under another version (see ``key(atVersion:_:)``).
    @usableFromInline
    func call(
        _ key: CacheKey, _ type: any Spillable.Type, _ keyAtVersion: (Int) -> CacheKey?,
        _ body: () -> any Spillable
    ) -> any Spillable {
        let context = currentContext
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
        let context = currentContext
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
        let context = currentContext
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
        let context = currentContext
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

/// `value as! Result` for a call's result, without the runtime's general cast (a tenth of
/// a hit's instructions): the existential is opened, and when its type is `Result`, as
/// the cache has checked, its value is read as one. Any other type goes through `as!`.
@inlinable
func unbox<Result>(_ value: any Spillable, as _: Result.Type) -> Result {
    func read<Value: Spillable>(_ value: Value) -> Result {
        guard ObjectIdentifier(Value.self) == ObjectIdentifier(Result.self) else {
            return value as! Result
        }
        return withUnsafePointer(to: value) { UnsafeRawPointer($0).load(as: Result.self) }
    }
    return read(value)
}
