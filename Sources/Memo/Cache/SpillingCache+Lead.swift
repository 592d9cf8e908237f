/// The leader of a single flight: ``beginLead(_:type:function:flight:reason:holdsDirectoryLock:keyAtVersion:)``
/// before it computes, ``completeLead(_:with:)`` after. The sync and async drivers in
/// `SpillingCache+Compute.swift` share both and differ only where they wait.
extension SpillingCache {
    /// A leader about to compute: what it holds until ``completeLead(_:with:)``.
    struct Lead: Sendable {
        let key: CacheKey
        let function: StoredFunction
        let flight: Flight
        /// Why the call is a miss.
        let reason: MissReason
        /// Whether the leader holds the key's directory lock (single flight across the
        /// processes sharing a persistent directory).
        let holdsDirectoryLock: Bool
        /// The shared tier's lock on computing the key (single flight across machines).
        let sharedLock: (any SharedTierLock)?
        /// When the leader started to compute, on the cache's clock: its value's cost is
        /// the time from then to ``completeLead(_:with:)``.
        var startedAt: Duration = .zero
    }

    /// How a leader's look behind memory ended.
    enum LeadStart: Sendable {
        /// Another process or machine stored the value meanwhile: the flight ended with it.
        case found(any Spillable, from: HitSource)
        /// Nothing usable: compute, then ``completeLead(_:with:)``.
        case compute(Lead)
    }

    /// A leader's look behind memory (under the directory lock, if `holdsDirectoryLock`):
    /// a value found there ends the flight and gives up the locks; otherwise the miss is
    /// counted (when a tier behind memory could have held it) and its reason settled.
    ///
    /// - Parameter keyAtVersion: the call's key under another version of its function, to
    ///   tell a ``MissReason/versionChanged`` miss in a persistent directory.
    ///   A value older than `usableFor` (the caller's ``Freshness``) does not count.
    func beginLead(
        _ key: CacheKey, type: any Spillable.Type, function: StoredFunction, flight: Flight,
        reason: MissReason, holdsDirectoryLock: Bool, keyAtVersion: (Int) -> CacheKey?,
        usableFor: Duration? = nil
    ) -> LeadStart {
        guard persistence != nil || shared != nil else {
            return .compute(
                Lead(
                    key: key, function: function, flight: flight, reason: reason,
                    holdsDirectoryLock: false, sharedLock: nil, startedAt: now))
        }
        switch behindMemory(
            key, type: type, function: function, leading: true, usableFor: usableFor)
        {
        case .found(let value, let source):
            endFlight(key, flight, with: .success(value))
            if holdsDirectoryLock { persistence?.locks?.unlock(key) }
            return .found(value, from: source)
        case .absent(let found, let sharedLock):
            withState { $0.recordMiss() }
            let reason = missReason(
                found ?? reason, function: function, keyAtVersion: keyAtVersion)
            return .compute(
                Lead(
                    key: key, function: function, flight: flight, reason: reason,
                    holdsDirectoryLock: holdsDirectoryLock, sharedLock: sharedLock,
                    startedAt: now))
        }
    }

    /// A leader's result: a value is stored (ending the flight, its directory lock handed
    /// to its write) and published to the shared tier, which releases the tier's lock
    /// after; an error ends the flight and releases both locks. Never waits for the disk
    /// or the tier.
    func completeLead(_ lead: Lead, with result: Result<any Spillable, any Error>) {
        switch result {
        case .success(let value):
            storeAny(
                value, forKey: lead.key, function: lead.function, ending: lead.flight,
                handingLock: lead.holdsDirectoryLock, cost: now - lead.startedAt)
            shared?.publish(
                value, forKey: lead.key, function: lead.function, releasing: lead.sharedLock)
        case .failure(let error):
            // A leader that was cancelled hands the flight over: its waiters look again,
            // and one of them computes, instead of receiving a cancellation not theirs.
            endFlight(
                lead.key, lead.flight,
                with: .failure(error is CancellationError ? Flight.Handover() : error))
            if lead.holdsDirectoryLock { persistence?.locks?.unlock(lead.key) }
            shared?.release(lead.sharedLock)
        }
    }

    /// Ends `flight` of `key` with `outcome`, once no caller can find it any more.
    func endFlight(_ key: CacheKey, _ flight: Flight, with outcome: Flight.Outcome) {
        withState { state in
            if state.flights[key] === flight { state.flights[key] = nil }
        }
        flight.finish(outcome)
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

    /// A waiter's share of a flight: the value (a hit), the leader's error (a miss), or
    /// `nil` to look again when the outcome is not of this caller's types.
    func joined(
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
}
