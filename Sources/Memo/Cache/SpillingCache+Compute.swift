import Synchronization

/// Get-or-compute with single flight.
extension SpillingCache {
    /// The value stored under `key`, or the result of `compute`, stored and returned.
    ///
    /// Concurrent callers that miss the same key run `compute` once: the others wait for
    /// it and receive its value, or its error when their closure throws the same error
    /// type (a caller whose closure cannot throw that error computes for itself). Errors
    /// are never cached. Waiting callers count as hits; the computing caller as a miss.
    public func value<Value: Spillable, Failure: Error>(
        forKey key: CacheKey, as type: Value.Type = Value.self,
        orCompute compute: () throws(Failure) -> Value
    ) throws(Failure) -> Value {
        var outcome = CallOutcome.miss(.newKey)
        defer { metrics?.direct.record(outcome) }
        do {
            return try valueAny(
                forKey: key, type: Value.self, outcome: &outcome, orCompute: { try compute() },
                accepting: { $0 is Failure }) as! Value
        } catch {
            // Only `compute`'s errors, or a leader's error accepted as `Failure`, get here.
            throw error as! Failure
        }
    }

    /// The async form: the computation is awaited, and so are concurrent callers' waits.
    public func value<Value: Spillable, Failure: Error>(
        forKey key: CacheKey, as type: Value.Type = Value.self,
        orCompute compute: () async throws(Failure) -> Value
    ) async throws(Failure) -> Value {
        var outcome = CallOutcome.miss(.newKey)
        defer { metrics?.direct.record(outcome) }
        do {
            return try await valueAny(
                forKey: key, type: Value.self, outcome: &outcome,
                orCompute: { try await compute() }, accepting: { $0 is Failure }) as! Value
        } catch {
            throw error as! Failure
        }
    }

    /// Get-or-compute on `any Spillable`. A leader's error reaches a waiter only if
    /// `accepting` says the waiter's closure could have thrown it; otherwise the waiter
    /// computes for itself.
    ///
    /// What happens on a miss: ``lookup(_:type:function:startingFlight:)`` finds no value
    /// and makes this caller the key's leader; it takes the key's directory lock (another
    /// process computing the key is waited for), ``beginLead(_:type:function:flight:reason:holdsDirectoryLock:keyAtVersion:)``
    /// looks behind memory, `compute` runs, and ``completeLead(_:with:)`` stores the value,
    /// ends the flight and hands the lock to the value's write.
    ///
    /// - Parameters:
    ///   - outcome: set to what the call was, before `compute` runs (so it holds even when
    ///     `compute` throws): a hit (a waiter's share of a flight counts as one) or a miss
    ///     and its reason.
    ///   - keyAtVersion: for a memoized call, the call's key under another version of its
    ///     function, to tell a ``MissReason/versionChanged`` miss in a persistent cache.
    func valueAny(
        forKey key: CacheKey, type: any Spillable.Type, function: StoredFunction = .none,
        outcome: inout CallOutcome, keyAtVersion: (Int) -> CacheKey? = { _ in nil },
        usableFor: Duration? = nil, orCompute compute: () throws -> any Spillable,
        accepting: (any Error) -> Bool
    ) throws -> any Spillable {
        while true {
            switch lookup(
                key, type: type, function: function, startingFlight: true, usableFor: usableFor)
            {
            case .found(let value, let source):
                outcome = .hit(from: source)
                return value
            case .missing, .retry:
                continue
            case .join(let flight):
                let waited = flight.wait()
                if let value = try joined(waited, type: type, accepting: accepting, outcome: &outcome) {
                    return value
                }
            case .lead(let flight, let reason):
                let start = beginLead(
                    key, type: type, function: function, flight: flight, reason: reason,
                    holdsDirectoryLock: lockDirectory(key), keyAtVersion: keyAtVersion,
                    usableFor: usableFor)
                guard case .compute(let lead) = start else { return found(start, &outcome) }
                outcome = .miss(lead.reason)
                let result = Result { try compute() }
                completeLead(lead, with: result)
                return try result.get()
            }
        }
    }

    /// The async form of ``valueAny(forKey:type:function:outcome:keyAtVersion:orCompute:accepting:)``.
    /// No cooperative thread blocks: the directory lock is polled with `Task.sleep`, and
    /// the disk, SQLite and the shared tier are used on the cache's own threads.
    func valueAny(
        forKey key: CacheKey, type: any Spillable.Type, function: StoredFunction = .none,
        outcome: inout CallOutcome, keyAtVersion: (Int) -> CacheKey? = { _ in nil },
        usableFor: Duration? = nil, orCompute compute: () async throws -> any Spillable,
        accepting: (any Error) -> Bool
    ) async throws -> any Spillable {
        while true {
            switch await lookup(
                key, type: type, function: function, startingFlight: true, usableFor: usableFor)
            {
            case .found(let value, let source):
                outcome = .hit(from: source)
                return value
            case .missing, .retry:
                continue
            case .join(let flight):
                let waited = await flight.wait()
                if case .failure(let error) = waited, error is CancellationError {
                    return try await computeAlone(
                        key, function: function, outcome: &outcome, compute, accepting, error)
                }
                if let value = try joined(waited, type: type, accepting: accepting, outcome: &outcome) {
                    return value
                }
            case .lead(let flight, let reason):
                let locked = await lockDirectoryPolling(key)
                // Without a directory or a shared tier, beginning a lead touches nothing.
                let start = await onCacheThread(if: persistence != nil || shared != nil) {
                    beginLead(
                        key, type: type, function: function, flight: flight, reason: reason,
                        holdsDirectoryLock: locked, keyAtVersion: keyAtVersion,
                        usableFor: usableFor)
                }
                guard case .compute(let lead) = start else { return found(start, &outcome) }
                outcome = .miss(lead.reason)
                let result: Result<any Spillable, any Error>
                do { result = .success(try await compute()) } catch { result = .failure(error) }
                // Storing may write spill files (a cache of its own files) or wait for room
                // in a full write-behind queue (a persistent one): not on this thread.
                await onCacheThread { completeLead(lead, with: result) }
                return try result.get()
            }
        }
    }

    /// The value a leader found behind memory, and the hit it counts as.
    private func found(_ start: LeadStart, _ outcome: inout CallOutcome) -> any Spillable {
        guard case .found(let value, let source) = start else {
            preconditionFailure("a leader's start to compute has no value")
        }
        outcome = .hit(from: source)
        return value
    }

    /// A waiter cancelled while it waited stops waiting at once: a caller that can throw
    /// gets the cancellation; one that cannot computes for itself, outside the flight.
    private func computeAlone(
        _ key: CacheKey, function: StoredFunction, outcome: inout CallOutcome,
        _ compute: () async throws -> any Spillable, _ accepting: (any Error) -> Bool,
        _ cancellation: any Error
    ) async throws -> any Spillable {
        outcome = .miss(.newKey)
        withState { $0.recordMiss() }
        if accepting(cancellation) { throw cancellation }
        let value = try await compute()
        await onCacheThread { storeAny(value, forKey: key, function: function) }
        return value
    }
}
