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
        while true {
            switch lookup(key, as: Value.self, startingFlight: true) {
            case .found(let value):
                return value
            case .missing, .retry:
                continue
            case .join(let flight):
                if let value: Value = try joined(flight.wait(), as: Value.self, Failure.self) {
                    return value
                }
            case .lead(let flight):
                do {
                    let value = try compute()
                    land(value, forKey: key, flight: flight)
                    return value
                } catch {
                    abandon(key, flight: flight, error: error)
                    throw error
                }
            }
        }
    }

    /// The async form: the computation is awaited, and so are concurrent callers' waits.
    public func value<Value: Spillable, Failure: Error>(
        forKey key: CacheKey, as type: Value.Type = Value.self,
        orCompute compute: () async throws(Failure) -> Value
    ) async throws(Failure) -> Value {
        while true {
            switch lookup(key, as: Value.self, startingFlight: true) {
            case .found(let value):
                return value
            case .missing, .retry:
                continue
            case .join(let flight):
                if let value: Value = try joined(await flight.wait(), as: Value.self, Failure.self) {
                    return value
                }
            case .lead(let flight):
                do {
                    let value = try await compute()
                    land(value, forKey: key, flight: flight)
                    return value
                } catch {
                    abandon(key, flight: flight, error: error)
                    throw error
                }
            }
        }
    }

    /// A waiter's share of a flight: the value (a hit), the leader's error (a miss), or
    /// `nil` to look again when the outcome is not of this caller's types.
    private func joined<Value, Failure: Error>(
        _ outcome: Flight.Outcome, as type: Value.Type, _ failure: Failure.Type
    ) throws(Failure) -> Value? {
        switch outcome {
        case .success(let value):
            guard let value = value as? Value else { return nil }
            state.withTrackedLock { $0.recordHit(fromDisk: false) }
            return value
        case .failure(let error):
            guard let error = error as? Failure else { return nil }
            state.withTrackedLock { $0.recordMiss() }
            throw error
        }
    }

    /// Stores the leader's value and ends the flight in the same critical section, so a
    /// caller always finds either the flight or the value.
    private func land<Value: Spillable>(_ value: Value, forKey key: CacheKey, flight: Flight) {
        let charge = value.memoryCost + Self.entryOverhead
        let now = clock.now
        let (jobs, removals) = state.withTrackedLock { state in
            if state.flights[key] === flight { state.flights[key] = nil }
            return state.store(value, charge: charge, forKey: key, now: now)
        }
        flight.finish(.success(value))
        finish(jobs: jobs, removals: removals)
    }

    private func abandon(_ key: CacheKey, flight: Flight, error: any Error) {
        state.withTrackedLock { state in
            if state.flights[key] === flight { state.flights[key] = nil }
        }
        flight.finish(.failure(error))
    }
}
