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
    /// In a persistent cache the leader also holds the key's directory-wide lock while it
    /// looks in the directory, computes and records the value, so other processes wait
    /// for its result instead of computing it too.
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
        orCompute compute: () throws -> any Spillable,
        accepting: (any Error) -> Bool
    ) throws -> any Spillable {
        while true {
            switch lookup(key, type: type, function: function, startingFlight: true) {
            case .found(let value, let source):
                outcome = .hit(from: source)
                return value
            case .missing, .retry:
                continue
            case .join(let flight):
                if let value = try joined(
                    flight.wait(), type: type, accepting: accepting, outcome: &outcome)
                {
                    return value
                }
            case .lead(let flight, let reason):
                let locked = lockDirectory(key)
                defer { if locked { persistence?.index.unlockComputation(of: key) } }
                switch leadFromDirectory(key, type: type, function: function, flight) {
                case .found(let value):
                    outcome = .hit(from: .disk)
                    return value
                case .absent(let found):
                    outcome = .miss(
                        missReason(found ?? reason, function: function, keyAtVersion: keyAtVersion))
                }
                let (fromTier, sharedLock) = leadFromShared(key, type: type, function: function)
                if let value = take(
                    fromTier, forKey: key, function: function, flight: flight, outcome: &outcome)
                {
                    return value
                }
                if persistence != nil || shared != nil { withState { $0.recordMiss() } }
                do {
                    let value = try compute()
                    land(value, forKey: key, function: function, flight: flight)
                    shared?.publish(value, forKey: key, function: function, releasing: sharedLock)
                    return value
                } catch {
                    abandon(key, flight: flight, error: error)
                    shared?.release(sharedLock)
                    throw error
                }
            }
        }
    }

    /// The async form of ``valueAny(forKey:type:function:outcome:keyAtVersion:orCompute:accepting:)``.
    /// Waiting for another process's lock polls with `Task.sleep`: no cooperative thread
    /// blocks.
    func valueAny(
        forKey key: CacheKey, type: any Spillable.Type, function: StoredFunction = .none,
        outcome: inout CallOutcome, keyAtVersion: (Int) -> CacheKey? = { _ in nil },
        orCompute compute: () async throws -> any Spillable,
        accepting: (any Error) -> Bool
    ) async throws -> any Spillable {
        while true {
            switch lookup(key, type: type, function: function, startingFlight: true) {
            case .found(let value, let source):
                outcome = .hit(from: source)
                return value
            case .missing, .retry:
                continue
            case .join(let flight):
                let waited = await flight.wait()
                if case .failure(let error) = waited, error is CancellationError {
                    // This caller was cancelled while it waited: it stops waiting at once.
                    // A caller that can throw gets the cancellation; one that cannot
                    // computes for itself, outside the flight.
                    outcome = .miss(.newKey)
                    withState { $0.recordMiss() }
                    if accepting(error) { throw error }
                    let value = try await compute()
                    storeAny(value, forKey: key, function: function)
                    return value
                }
                if let value = try joined(
                    waited, type: type, accepting: accepting, outcome: &outcome)
                {
                    return value
                }
            case .lead(let flight, let reason):
                let locked = await lockDirectoryPolling(key)
                defer { if locked { persistence?.index.unlockComputation(of: key) } }
                switch leadFromDirectory(key, type: type, function: function, flight) {
                case .found(let value):
                    outcome = .hit(from: .disk)
                    return value
                case .absent(let found):
                    outcome = .miss(
                        missReason(found ?? reason, function: function, keyAtVersion: keyAtVersion))
                }
                let (fromTier, sharedLock) = await leadFromShared(
                    key, type: type, function: function)
                if let value = take(
                    fromTier, forKey: key, function: function, flight: flight, outcome: &outcome)
                {
                    return value
                }
                if persistence != nil || shared != nil { withState { $0.recordMiss() } }
                do {
                    let value = try await compute()
                    land(value, forKey: key, function: function, flight: flight)
                    shared?.publish(value, forKey: key, function: function, releasing: sharedLock)
                    return value
                } catch {
                    abandon(key, flight: flight, error: error)
                    shared?.release(sharedLock)
                    throw error
                }
            }
        }
    }

    /// A leader's use of what the shared tier answered: a value ends the flight with it (a
    /// hit from the tier); a refusal refines the miss's reason.
    private func take(
        _ fromTier: SharedLookup, forKey key: CacheKey, function: StoredFunction,
        flight: Flight, outcome: inout CallOutcome
    ) -> (any Spillable)? {
        switch fromTier {
        case .found(let value):
            land(value, forKey: key, function: function, flight: flight, fromTier: true)
            outcome = .hit(from: .shared)
            return value
        case .absent(let found?):
            outcome = .miss(found)
            return nil
        case .absent(nil):
            return nil
        }
    }

    /// A leader's miss reason: a new key in a persistent directory may be the same call
    /// stored by another version of its function.
    private func missReason(
        _ reason: MissReason, function: StoredFunction, keyAtVersion: (Int) -> CacheKey?
    ) -> MissReason {
        guard reason == .newKey, persistence != nil, function != .none,
            isStoredUnderAnotherVersion(function, keyAtVersion: keyAtVersion)
        else { return reason }
        return .versionChanged
    }

    /// Takes the key's directory-wide lock, blocking until another process's computation
    /// ends (or its process dies). `false` without a persistent directory, or when the
    /// lock cannot be had (then this caller computes, at worst twice across processes).
    private func lockDirectory(_ key: CacheKey) -> Bool {
        guard let persistence else { return false }
        do {
            return try persistence.index.lockComputation(of: key, wait: true)
        } catch {
            recordFailure("lock of \(key.hex) failed: \(error)")
            return false
        }
    }

    /// ``lockDirectory(_:)`` for async callers: tries, and sleeps between tries (1 ms,
    /// doubling to 50 ms). A cancelled task stops waiting and computes.
    private func lockDirectoryPolling(_ key: CacheKey) async -> Bool {
        guard let persistence else { return false }
        var pause = Duration.milliseconds(1)
        while true {
            do {
                if try persistence.index.lockComputation(of: key, wait: false) { return true }
            } catch {
                recordFailure("lock of \(key.hex) failed: \(error)")
                return false
            }
            do {
                try await Task.sleep(for: pause)
            } catch {
                return false
            }
            pause = min(pause * 2, .milliseconds(50))
        }
    }

    /// A leader's look in the persistent directory, where another process may have put
    /// the value while this one waited for the lock: if found, the flight ends with it.
    private func leadFromDirectory(
        _ key: CacheKey, type: any Spillable.Type, function: StoredFunction, _ flight: Flight
    ) -> DirectoryLookup {
        guard persistence != nil else { return .absent(nil) }
        let found = lookupDirectory(key, type: type, function: function)
        guard case .found(let value) = found else { return found }
        withState { state in
            if state.flights[key] === flight { state.flights[key] = nil }
        }
        flight.finish(.success(value))
        return found
    }

    /// A waiter's share of a flight: the value (a hit), the leader's error (a miss), or
    /// `nil` to look again when the outcome is not of this caller's types.
    private func joined(
        _ flightOutcome: Flight.Outcome, type: any Spillable.Type,
        accepting: (any Error) -> Bool, outcome: inout CallOutcome
    ) throws -> (any Spillable)? {
        switch flightOutcome {
        case .success(let value):
            guard ObjectIdentifier(ExistentialValue.heldType(of: value)) == ObjectIdentifier(type)
            else {
                return nil
            }
            withState { $0.recordHit(fromDisk: false) }
            outcome = .hit(from: .memory)
            return value
        case .failure(let error):
            // A cancelled leader's flight: look again.
            if error is Flight.Handover { return nil }
            guard accepting(error) else { return nil }
            withState { $0.recordMiss() }
            outcome = .miss(.newKey)
            throw error
        }
    }

    /// Stores the leader's value and ends the flight in the same critical section, so a
    /// caller always finds either the flight or the value.
    ///
    /// A persistent cache records the value in the directory before returning, so that a
    /// process waiting for the key's lock finds it.
    private func land(
        _ value: any Spillable, forKey key: CacheKey, function: StoredFunction, flight: Flight,
        fromTier: Bool = false
    ) {
        let charge = value.memoryCost + Self.entryOverhead
        let now = self.now
        let (jobs, removals) = withState { state in
            if state.flights[key] === flight { state.flights[key] = nil }
            if fromTier { state.recordSharedHit() }
            return state.store(value, charge: charge, forKey: key, function: function, now: now)
        }
        flight.finish(.success(value))
        finish(jobs: jobs, removals: removals, now: true)
    }

    /// Ends a flight whose leader failed. A leader that was cancelled hands the flight
    /// over: its waiters look again, and one of them computes, instead of receiving a
    /// cancellation that was not theirs.
    private func abandon(_ key: CacheKey, flight: Flight, error: any Error) {
        withState { state in
            if state.flights[key] === flight { state.flights[key] = nil }
        }
        flight.finish(.failure(error is CancellationError ? Flight.Handover() : error))
    }
}
