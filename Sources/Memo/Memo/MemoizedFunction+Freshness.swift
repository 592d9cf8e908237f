import Logging
import Dispatch

/// What a hit from memory found of its value's age.
@usableFromInline
enum AgedHit {
    case miss
    case fresh
    /// Stale, with its refresh running.
    case stale
    /// Stale, and a background refresh may be due: the caller starts one.
    case refreshDue
}

/// The calls of a handle (`Memo.function(name:version:freshness:_:)`):
/// hits that know a value's age, background refreshes, and per-call control.
extension MemoizedFunction {
    /// The result of `key` in memory, if usable for this function's ``Freshness``;
    /// `refreshDue` says whether the caller should start a background refresh.
    @inlinable
    func freshResult<Result: Spillable>(
        forKey key: CacheKey, as _: Result.Type, refreshDue: inout Bool
    ) -> Result? {
        var result: Result?
        switch agedHit(key, Result.self, { result = ExistentialValue.load($0, as: Result.self) }) {
        case .miss: return nil
        case .fresh, .stale: return result
        case .refreshDue:
            refreshDue = true
            return result
        }
    }

    /// ``hit(_:_:_:)`` for a function whose results age: the clock is read, and a stale
    /// hit is counted as one.
    @usableFromInline
    func agedHit(
        _ key: CacheKey, _ type: any Spillable.Type,
        _ read: (UnsafePointer<any Spillable>) -> Void
    ) -> AgedHit {
        guard window.ages else { return hit(key, type, read) ? .fresh : .miss }
        let context = Memo.currentContext
        let cache = context.cache
        guard
            let (stripe, staleness) = cache.memoryHit(
                key, type: type, window: window, now: cache.now, read)
        else { return .miss }
        let record = record(in: context)
        record.recordMemoryHit(stripe: stripe)
        return counted(staleness, in: record)
    }

    /// Counts a stale hit, and says what the caller does of it.
    private func counted(_ staleness: EntryTable.Staleness, in record: FunctionRecord) -> AgedHit {
        switch staleness {
        case .fresh: return .fresh
        case .stale:
            record.recordStaleHit()
            return .stale
        case .staleRefreshDue:
            record.recordStaleHit()
            return .refreshDue
        }
    }

    /// ``call(_:_:_:_:)`` for a handle: values too old for its ``Freshness`` are misses;
    /// a hit on a stale one says a refresh may be due; a failed computation past
    /// `expireAfter` returns the old value within `serveStaleOnError`. Errors the caller
    /// cannot throw (`accepting`) are not taken from other callers' computations.
    @usableFromInline
    func freshCall(
        _ key: CacheKey, _ type: any Spillable.Type, _ keyAtVersion: (Int) -> CacheKey?,
        accepting: (any Error) -> Bool, _ body: () throws -> any Spillable
    ) throws -> (value: any Spillable, refreshDue: Bool) {
        let context = currentContext
        var computeTime: Duration?
        var outcome = CallOutcome.miss(.newKey)
        let value: any Spillable
        do {
            value = try context.cache.valueAny(
                forKey: key, type: type, function: stored, outcome: &outcome,
                keyAtVersion: keyAtVersion, usableFor: window.usableFor,
                orCompute: {
                    let start = ContinuousClock.now
                    let result = try body()
                    computeTime = ContinuousClock.now - start
                    return result
                },
                accepting: accepting)
        } catch {
            return (try staleOnError(key, type, context, error, outcome, computeTime), false)
        }
        record(in: context).record(outcome, computeTime: computeTime)
        return (value, refreshDue(after: outcome, key, context))
    }

    /// The async form of ``freshCall(_:_:_:accepting:_:)``.
    @usableFromInline
    func freshCall(
        _ key: CacheKey, _ type: any Spillable.Type, _ keyAtVersion: (Int) -> CacheKey?,
        accepting: (any Error) -> Bool, _ body: () async throws -> any Spillable
    ) async throws -> (value: any Spillable, refreshDue: Bool) {
        let context = currentContext
        var computeTime: Duration?
        var outcome = CallOutcome.miss(.newKey)
        let value: any Spillable
        do {
            value = try await context.cache.valueAny(
                forKey: key, type: type, function: stored, outcome: &outcome,
                keyAtVersion: keyAtVersion, usableFor: window.usableFor,
                orCompute: {
                    let start = ContinuousClock.now
                    let result = try await body()
                    computeTime = ContinuousClock.now - start
                    return result
                },
                accepting: accepting)
        } catch {
            return (try staleOnError(key, type, context, error, outcome, computeTime), false)
        }
        record(in: context).record(outcome, computeTime: computeTime)
        return (value, refreshDue(after: outcome, key, context))
    }

    /// Whether a hit that did not come from memory's fast path was stale, and a refresh
    /// of it may be due.
    private func refreshDue(after outcome: CallOutcome, _ key: CacheKey, _ context: MemoContext)
        -> Bool
    {
        guard case .hit = outcome, window.freshFor != nil else { return false }
        return counted(context.cache.staleness(ofKey: key, window: window), in: record(in: context))
            == .refreshDue
    }

    /// The old value a failed computation returns instead (`serveStaleOnError`), counted
    /// as a hit and not as the miss it was; or the error again, and the miss counted.
    private func staleOnError(
        _ key: CacheKey, _ type: any Spillable.Type, _ context: MemoContext, _ error: any Error,
        _ outcome: CallOutcome, _ computeTime: Duration?
    ) throws -> any Spillable {
        guard let fallbackFor = window.fallbackFor,
            let old = context.cache.peekAny(
                key, type: type, function: stored, usableFor: fallbackFor)
        else {
            record(in: context).record(outcome, computeTime: computeTime)
            throw error
        }
        record(in: context).recordStaleOnErrorHit()
        return old
    }

    // MARK: Refreshes

    /// Starts a background refresh of `key`, if one is due: `body` runs on a thread of
    /// its own (not the caller's, not Swift's cooperative pool), in the caller's context.
    @usableFromInline
    func refreshInBackground(
        _ key: CacheKey, _ type: any Spillable.Type,
        _ body: @escaping @Sendable () throws -> any Spillable
    ) {
        let context = currentContext
        guard case .lead(let flight) = context.cache.beginRefresh(key, background: true) else {
            return
        }
        let isolated = Memo.isolatedContext
        let work = BackgroundWork.begin()
        DispatchQueue(label: "memo.refresh").async { [self] in
            defer { BackgroundWork.end(work) }
            Memo.$isolatedContext.withValue(isolated) {
                let outcome = context.cache.refresh(
                    key, type: type, function: stored, window: window, flight: flight,
                    background: true, compute: body)
                recordRefresh(outcome, key, context)
            }
        }
    }

    /// The async form of ``refreshInBackground(_:_:_:)-(_,_,()->Spillable)``: `body` runs
    /// in a task.
    @usableFromInline
    func refreshInBackground(
        _ key: CacheKey, _ type: any Spillable.Type,
        _ body: @escaping @Sendable () async throws -> any Spillable
    ) {
        let context = currentContext
        guard case .lead(let flight) = context.cache.beginRefresh(key, background: true) else {
            return
        }
        let isolated = Memo.isolatedContext
        let work = BackgroundWork.begin()
        Task.detached { [self] in
            defer { BackgroundWork.end(work) }
            await Memo.$isolatedContext.withValue(isolated) {
                let outcome = await context.cache.refresh(
                    key, type: type, function: stored, window: window, flight: flight,
                    background: true, compute: body)
                recordRefresh(outcome, key, context)
            }
        }
    }

    /// Recomputes `key` now, on the caller's path, replacing the value everywhere (a
    /// computation of it already running is waited for instead). A failure keeps the
    /// old value and is thrown.
    @usableFromInline
    func refreshNow(
        _ key: CacheKey, _ type: any Spillable.Type, accepting: (any Error) -> Bool,
        _ body: () throws -> any Spillable
    ) throws -> any Spillable {
        let context = currentContext
        while true {
            let outcome: SpillingCache.RefreshOutcome
            switch context.cache.beginRefresh(key, background: false) {
            case .skip: continue
            case .join(let flight):
                var ignored = CallOutcome.miss(.newKey)
                guard let value = try context.cache.joined(
                    flight.wait(), type: type, accepting: accepting, outcome: &ignored)
                else { continue }
                return value
            case .lead(let flight):
                outcome = context.cache.refresh(
                    key, type: type, function: stored, window: window, flight: flight,
                    background: false, compute: body)
            }
            recordRefresh(outcome, key, context)
            return try refreshed(outcome)
        }
    }

    /// The async form of ``refreshNow(_:_:accepting:_:)-(_,_,_,()->Spillable)``.
    @usableFromInline
    func refreshNow(
        _ key: CacheKey, _ type: any Spillable.Type, accepting: (any Error) -> Bool,
        _ body: () async throws -> any Spillable
    ) async throws -> any Spillable {
        let context = currentContext
        while true {
            let outcome: SpillingCache.RefreshOutcome
            switch context.cache.beginRefresh(key, background: false) {
            case .skip: continue
            case .join(let flight):
                var ignored = CallOutcome.miss(.newKey)
                guard let value = try context.cache.joined(
                    await flight.wait(), type: type, accepting: accepting, outcome: &ignored)
                else { continue }
                return value
            case .lead(let flight):
                outcome = await context.cache.refresh(
                    key, type: type, function: stored, window: window, flight: flight,
                    background: false, compute: body)
            }
            recordRefresh(outcome, key, context)
            return try refreshed(outcome)
        }
    }

    private func refreshed(_ outcome: SpillingCache.RefreshOutcome) throws -> any Spillable {
        switch outcome {
        case .refreshed(let value), .taken(let value): return value
        case .failed(let error): throw error
        case .skipped: preconditionFailure("an explicit refresh is never skipped")
        }
    }

    /// Counts a refresh that replaced a value or failed (a failure is logged).
    private func recordRefresh(
        _ outcome: SpillingCache.RefreshOutcome, _ key: CacheKey, _ context: MemoContext
    ) {
        switch outcome {
        case .refreshed: record(in: context).recordRefresh(succeeded: true)
        case .failed(let error):
            record(in: context).recordRefresh(succeeded: false)
            context.cache.logger.warning(
                "a refresh of \(reportName) failed; the old result stays",
                metadata: [
                    "function": "\(reportName)", "key": "\(key.hex)", "error": "\(error)",
                ])
        case .skipped, .taken: break
        }
    }

    // MARK: Control

    /// The usable cached result of `key`, wherever it lies; counts nothing.
    @usableFromInline
    func peek(_ key: CacheKey, _ type: any Spillable.Type) -> (any Spillable)? {
        Memo.currentContext.cache.peekAny(
            key, type: type, function: stored, usableFor: window.usableFor)
    }

    /// Removes `key`'s result from every tier.
    @usableFromInline
    func invalidate(_ key: CacheKey) -> Bool {
        Memo.currentContext.cache.invalidate(key)
    }

    /// Stores `value` as the result of `key`, as if computed now, and publishes it.
    @usableFromInline
    func store(_ value: any Spillable, forKey key: CacheKey) {
        currentContext.cache.storeAndPublish(value, forKey: key, function: stored)
    }

    /// Removes every result of this function (every version) from memory, disk and the
    /// persistent directory.
    @usableFromInline
    func clear() {
        Memo.currentContext.cache.removeAll(function: identity)
    }

    /// This function's figures in the current context.
    @usableFromInline
    var report: FunctionReport {
        let context = Memo.currentContext
        return Memo.report(of: record(in: context), in: context)
    }
}
